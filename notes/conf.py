"""Tunables of the live engine, overridable with settings.NOTES_LIVE = {...}."""

from django.conf import settings

DEFAULTS = {
    "MAX_MESSAGE_BYTES": 1024 * 1024,
    # The text a client may grow a note to (bytes of UTF-8); an insertion past it is
    # refused with 4413 (deleting stays possible). See Room._client_update.
    "MAX_NOTE_BYTES": 4 * 1024 * 1024,
    # The whole CRDT document (as a new client downloads it): the text, its editing
    # history's bookkeeping, and anything a crafted client puts outside the text.
    # Generous: heavy interleaved editing costs several bytes per character of text.
    "MAX_DOCUMENT_BYTES": 16 * 1024 * 1024,
    # Bytes the server may send in reply to one connection's own requests (sync step 1,
    # query awareness): a token bucket; a request made while it is empty closes the
    # connection with 4429. One reply of any size is always allowed (it may leave the
    # bucket in debt): a client syncs once per connection.
    "REPLY_BYTES_PER_SECOND": 64 * 1024,
    "REPLY_BYTES_BURST": 4 * 1024 * 1024,
    # Presence (awareness) states one connection may announce, and their size: a
    # browser tab has one. Past them: 4429 and 4413.
    "MAX_AWARENESS_PER_CONNECTION": 4,
    "MAX_AWARENESS_STATE_BYTES": 8 * 1024,
    # Live connections one account or guest browser may hold open, and connections
    # without an account from one IP address (see notes/limits.py). Past them: 4429.
    "MAX_CONNECTIONS_PER_IDENTITY": 20,
    "MAX_GUEST_CONNECTIONS_PER_IP": 300,
    # Minimum gap between two fan-outs of one room, per connected client past the first
    # FANOUT_FREE_CLIENTS (seconds). A send costs ~20-30 µs of CPU here (mostly the
    # kernel's), so 100 µs keeps a big room's fan-out under about a third of a core
    # whatever its size: flushes 16 ms apart at 200 clients, 48 ms for a keynote's 520.
    # A room of up to 40 clients flushes once per loop iteration, which coalesces
    # enough by itself (50 editors: 215 frames per client per second for 250 edits,
    # CPU per edit ×0.86 of the reference server's, where a 5 ms gap doubled the p95).
    # A change arriving after a quiet gap goes out at once. See Room._flush; measured
    # with bench/peer.py (bench/RESULTS.md).
    "FANOUT_SECONDS_PER_CLIENT": 100e-6,
    "FANOUT_FREE_CLIENTS": 40,
    # Flood limits per connection: a token bucket for messages and one for bytes.
    "FLOOD_MESSAGES_PER_SECOND": 200,
    "FLOOD_MESSAGES_BURST": 400,
    "FLOOD_BYTES_PER_SECOND": 1024 * 1024,
    "FLOOD_BYTES_BURST": 4 * 1024 * 1024,
    # Minimum gap between two appends of one room: the micro-batch window. Each
    # append costs a thread hop, a transaction and a commit whatever it holds; a
    # client keeps every edit until it is acknowledged by a resync, so a process
    # killed inside the window loses nothing (tests/faults).
    "PERSIST_INTERVAL": 0.25,
    # The Markdown (what reading pages, exports and search read) follows the live text
    # MARKDOWN_INTERVAL after edits. Each refresh rewrites the note's search entry
    # whole, so a process refreshes at most about MARKDOWN_REFRESHES_PER_SECOND notes
    # a second: with more rooms open than that many per interval, each waits longer
    # (300 open notes: 12 s; bench/peer.py tracks, where 2 s took a quarter of the
    # worker's CPU). The last editor leaving and server-side edits still write at once.
    "MARKDOWN_INTERVAL": 2.0,
    "MARKDOWN_REFRESHES_PER_SECOND": 25,
    "REVISION_INTERVAL": 300.0,
    "COMPACT_AFTER_ROWS": 300,
    # How long a room without clients stays in memory.
    "IDLE_UNLOAD": 300.0,
    # None: on when the channel layer reaches other processes (anything but in-memory).
    "PEER_SYNC": None,
    "PEER_SYNC_INTERVAL": 3.0,
    # A room whose peer link failed retries with backoff between these (seconds),
    # and each channel-layer call gives up after PEER_TIMEOUT (a host that drops
    # packets would otherwise hang it).
    "PEER_RETRY_MIN": 0.25,
    "PEER_RETRY_MAX": 2.0,
    "PEER_TIMEOUT": 2.0,
    # A linked room that has not heard its own announcements back for this long
    # has lost its subscription: it re-joins.
    "PEER_ECHO_TIMEOUT": 7.0,
    # While a room is not linked to its peers, it reads what other processes
    # stored this often, so processes converge through the database meanwhile.
    "STORE_CATCHUP_INTERVAL": 2.0,
    # Record which account or guest each Yjs client id belongs to (authorship). Off
    # only to measure what it costs (bench/live_notes.py with NOTES_LIVE).
    "AUTHORSHIP": True,
    # Awareness states not renewed for this long are not handed to newcomers
    # (y-protocols clients renew theirs every 15 s).
    "AWARENESS_TIMEOUT": 30.0,
    # Bytes queued for a client whose socket is not keeping up; past this it is
    # closed with 1013 (it reconnects and resyncs) rather than buffered without bound.
    "MAX_QUEUED_BYTES": 4 * 1024 * 1024,
    # How long a close frame may wait for a client that stopped reading before the
    # connection is aborted (a client on slow Wi-Fi still draining its backlog
    # then sees the close code, and the editor says it is resyncing).
    "CLOSE_TIMEOUT": 30.0,
    # How often each process hands its counts to Prometheus and publishes its open
    # notes' numbers for the organizers' dashboard (livestats.py).
    "STATS_INTERVAL": 2.0,
    # On SIGTERM, how long a worker waits for what it received to be stored before it
    # exits anyway (config/server.py).
    "DRAIN_TIMEOUT": 20.0,
}


def live_setting(name: str):
    return getattr(settings, "NOTES_LIVE", {}).get(name, DEFAULTS[name])
