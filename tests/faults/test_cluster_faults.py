"""Faults on the deployed shape: 20 editors typing through nginx into one note, spread
over two workers, while something falls over.

Each test ends with the same check, across everything that holds the note: every
editor's text, a fresh client through nginx and on each worker directly, the stored
CRDT document and the stored Markdown are identical and hold every marker typed,
each once. (Two fleets that each agree only with themselves once hid a split brain.)

Timings are generous: these run on a loaded 2-core machine. Nothing here measures
speed; the bounds only keep a broken run from hanging.
"""

import asyncio
import collections
import re
import secrets
import time

import pytest
import websockets
from websockets.asyncio.client import connect

from tests.faults.conftest import MAX_QUEUED_BYTES
from tests.faults.fleet import Editor, Fleet, fresh_text, wait_until

# Not part of `make test` (pyproject's addopts deselect them): `make test-faults`.
pytestmark = [pytest.mark.faults, pytest.mark.asyncio(loop_scope="function")]

CONVERGE_WITHIN = 90


def note_url(faults, note_id: int, name: str = "Fresh") -> str:
    return faults.cluster.ws_url(note_id, name)


async def start_fleet(faults, note_id: int, *, size: int = 20) -> Fleet:
    fleet = await Fleet(note_url(faults, note_id, "Editor"), faults.origin, size=size).start()
    # nginx spreads them (least connections): both workers serve the note.
    spread = [worker.readyz()[1]["connections"] for worker in faults.cluster.workers]
    assert all(count > 0 for count in spread), spread
    return fleet


def running_workers(faults):
    return [worker for worker in faults.cluster.workers if worker.running]


def check_markers(text: str, expected: set[str]) -> str | None:
    counts = collections.Counter(text.split())
    missing = expected - set(counts)
    if missing:
        return f"{len(missing)} markers missing, e.g. {sorted(missing)[:5]}"
    doubled = [marker for marker, count in counts.items() if count > 1]
    if doubled:
        return f"markers twice: {doubled[:5]}"
    extra = set(counts) - expected
    if extra:
        return f"markers nobody typed: {sorted(extra)[:5]}"
    return None


async def assert_converged(faults, editors: list[Editor], note_id: int, expected: set[str]):
    """Every editor, fresh clients (through nginx, and on each worker) and the database
    hold the same text, with every marker once."""
    state = {}

    def editors_agree():
        texts = {editor.text for editor in editors}
        if len(texts) != 1:
            state["why"] = f"{len(texts)} different texts among the editors"
            return False
        text = texts.pop()
        problem = check_markers(text, expected)
        state["why"] = problem
        state["text"] = text
        return problem is None

    try:
        await wait_until(editors_agree, within=CONVERGE_WITHIN, what="the editors converge")
    except AssertionError as error:
        raise AssertionError(f"{error}: {state.get('why')}\n{faults.logs()}") from None
    text = state["text"]

    assert await fresh_text(note_url(faults, note_id), faults.origin) == text
    for worker in running_workers(faults):
        url = f"ws://127.0.0.1:{worker.port}/ws/notes/{note_id}/?name=Fresh"
        assert await fresh_text(url, worker.url) == text, f"worker {worker.index} differs"

    async def stored():
        return await asyncio.to_thread(faults.stored_text, note_id) == text and (
            await asyncio.to_thread(faults.markdown, note_id) == text
        )

    await wait_until(stored, within=CONVERGE_WITHIN, what="the database holds the same text")


# --- 1. A worker killed outright --------------------------------------------------------------


async def test_sigkill_of_a_worker_loses_nothing(faults):
    note_id = faults.new_note()
    fleet = await start_fleet(faults, note_id)
    victim = faults.cluster.workers[0]

    await fleet.type(seconds=4, tag="a")
    typing = asyncio.ensure_future(fleet.type(seconds=6, tag="b"))
    await asyncio.sleep(1)
    victim.kill()
    await typing

    # Its editors reconnected through nginx to the other worker.
    assert not victim.running
    survivor = faults.cluster.workers[1]
    await wait_until(
        lambda: all(editor.connected for editor in fleet.editors),
        within=30,
        what="every editor reconnected",
    )
    assert survivor.readyz()[1]["connections"] == 20
    reconnected = [e for e in fleet.editors if e.connects > 1]
    assert reconnected, "nobody was on the killed worker"
    await assert_converged(faults, fleet.editors, note_id, fleet.typed)
    await fleet.stop()


# --- 2. Redis restarted ---------------------------------------------------------------------------


async def test_redis_restart_mid_run_loses_nothing(faults):
    note_id = faults.new_note()
    fleet = await start_fleet(faults, note_id)

    typing = asyncio.ensure_future(fleet.type(seconds=10, tag="r"))
    await asyncio.sleep(3)
    faults.cluster.redis.stop()
    await asyncio.sleep(2)
    faults.cluster.redis.start()
    await typing

    await assert_converged(faults, fleet.editors, note_id, fleet.typed)
    # Linked again: both workers ready.
    await wait_until(
        lambda: all(w.readyz()[0] == 200 for w in faults.cluster.workers),
        within=30,
        what="both workers linked again",
    )
    await fleet.stop()


# --- 3. PostgreSQL down for 10 s ------------------------------------------------------------------


async def test_postgres_down_for_ten_seconds_loses_nothing(faults):
    note_id = faults.new_note()
    fleet = await start_fleet(faults, note_id)
    await fleet.type(seconds=3, tag="p")

    faults.cluster.postgres.stop()
    typing = asyncio.ensure_future(fleet.type(seconds=10, tag="q"))
    await wait_until(
        lambda: all(w.readyz()[0] == 503 for w in faults.cluster.workers),
        within=10,
        what="both workers say they are not ready",
    )
    statuses = [w.readyz() for w in faults.cluster.workers]
    assert all("database" in " ".join(body["problems"]) for _, body in statuses), statuses
    await typing
    # The servers stayed up, and every editor stayed connected meanwhile.
    assert all(worker.running for worker in faults.cluster.workers)
    assert all(editor.connects == 1 for editor in fleet.editors)
    assert faults.metric("confnotes_live_persist_queue_updates") > 0
    faults.cluster.postgres.start()

    await fleet.type(seconds=3, tag="s")
    await assert_converged(faults, fleet.editors, note_id, fleet.typed)
    await wait_until(
        lambda: all(w.readyz()[0] == 200 for w in faults.cluster.workers),
        within=30,
        what="both workers ready again",
    )
    await fleet.stop()


# --- 4. A client that stops reading for 30 s ---------------------------------------------------


async def test_a_client_that_stops_reading_for_thirty_seconds_heals(faults):
    note_id = faults.new_note()
    fleet = await start_fleet(faults, note_id)
    frozen = Editor(note_url(faults, note_id, "Frozen"), faults.origin, name="frozen")
    frozen.small_window = True
    frozen.start()
    await wait_until(lambda: frozen.connected, within=30, what="the frozen client synced")

    frozen.reading.clear()
    typing = asyncio.ensure_future(fleet.type(seconds=30, tag="f"))
    queued = []
    for _ in range(6):
        await asyncio.sleep(4)
        queued.append(faults.metric("confnotes_live_outbound_queued_bytes"))
        # The others are not held up: a marker typed now reaches every other editor.
        probe = f"probe{len(queued)}"
        await fleet.editors[0].type(probe)
        await wait_until(
            lambda probe=probe: all(probe in e.text.split() for e in fleet.editors),
            within=20,
            what=f"{probe} reached every editor while one client is frozen",
        )
    await typing
    # What the server holds for the frozen client stays within its budget.
    assert max(queued) <= MAX_QUEUED_BYTES, queued

    frozen.reading.set()
    expected = fleet.typed
    await assert_converged(faults, [*fleet.editors, frozen], note_id, expected)
    await frozen.stop()
    await fleet.stop()


# --- 5. A worker stopped with SIGTERM ---------------------------------------------------------------


async def test_sigterm_drains_a_worker_without_losing_anything(faults):
    note_id = faults.new_note()
    fleet = await start_fleet(faults, note_id)
    leaving = faults.cluster.workers[1]

    await fleet.type(seconds=3, tag="t")
    typing = asyncio.ensure_future(fleet.type(seconds=6, tag="u"))
    await asyncio.sleep(1)
    status = await asyncio.to_thread(leaving.terminate, wait=60)
    await typing

    # uvicorn ends a process that shut down gracefully with the signal it received.
    assert status == -15, leaving.log_text()[-3000:]
    log = leaving.log_text()
    assert re.search(r"drained \d+ open notes and \d+ connections", log), log[-3000:]
    assert "not fully stored" not in log
    going_away = [c for e in fleet.editors for c in e.closes if c.code == 1001]
    assert going_away
    assert {c.reason for c in going_away} == {"server shutting down; reconnect"}
    await wait_until(
        lambda: all(editor.connected for editor in fleet.editors),
        within=30,
        what="every editor reconnected",
    )
    await assert_converged(faults, fleet.editors, note_id, fleet.typed)
    await fleet.stop()


# --- 6. Redis down when the note is first opened ------------------------------------------------


async def test_a_note_first_opened_while_redis_is_down_converges_when_it_returns(faults):
    note_id = faults.new_note()
    faults.cluster.redis.stop()
    fleet = await start_fleet(faults, note_id)
    typing = asyncio.ensure_future(fleet.type(seconds=10, tag="d"))
    await asyncio.sleep(5)
    assert all(w.readyz()[0] == 503 for w in faults.cluster.workers)
    faults.cluster.redis.start()
    await typing

    await assert_converged(faults, fleet.editors, note_id, fleet.typed)
    await wait_until(
        lambda: all(w.readyz()[0] == 200 for w in faults.cluster.workers),
        within=30,
        what="both workers linked",
    )
    # Linked: an edit crosses the workers live again.
    await fleet.editors[0].type("live")
    await wait_until(
        lambda: all("live" in e.text.split() for e in fleet.editors),
        within=10,
        what="a new edit reaches everyone",
    )
    await fleet.stop()


# --- 7. A reader that stops reading while a few MB arrive --------------------------------------


async def test_a_reader_that_stops_during_megabytes_is_closed_or_served_never_stale(faults):
    note_id = faults.new_note()
    fleet = await start_fleet(faults, note_id)
    reader = Editor(note_url(faults, note_id, "Reader"), faults.origin, name="reader")
    reader.small_window = True
    reader.reconnect = False  # we look at what this one connection did
    reader.start()
    await wait_until(lambda: reader.connected, within=30, what="the reader synced")
    reader.reading.clear()

    typing = asyncio.ensure_future(fleet.type(seconds=8, tag="m"))
    pasted = 0
    for round_ in range(6):
        for editor in fleet.editors[:5]:
            block = secrets.token_urlsafe(75_000)[:100_000]
            await editor.paste(f"\n[{editor.name}.{round_}]{block}\n")
            pasted += len(block)
        await asyncio.sleep(1)
    await typing
    assert pasted >= 3_000_000

    reader.reading.set()
    # Either it is served everything, or it was closed with 1013 (then it reconnects).
    final_ok = {}

    def served_or_closed():
        if reader.closes:
            final_ok["outcome"] = reader.closes[0]
            return True
        final_ok["outcome"] = "open"
        return reader.text == fleet.editors[0].text and check_markers_ok(reader.text, fleet)

    await wait_until(served_or_closed, within=60, what="the reader is served or closed")
    outcome = final_ok["outcome"]
    print(f"the reader that stopped reading: {outcome}")  # shown with -s
    if outcome != "open":
        assert (outcome.code, outcome.reason.startswith("too slow to keep up")) == (1013, True)
        again = Editor(note_url(faults, note_id, "Reader"), faults.origin, name="reader")
        again.y = reader.y  # the same document, reconnecting as y-websocket does
        again.start()
        editors = [*fleet.editors, again]
    else:
        again = None
        editors = [*fleet.editors, reader]
    await assert_converged_with_blocks(faults, editors, note_id, fleet)
    if again is not None:
        await again.stop()
    await reader.stop()
    await fleet.stop()


def check_markers_ok(text: str, fleet: Fleet) -> bool:
    return (
        check_markers(" ".join(w for w in text.split() if not w.startswith("[")), fleet.typed)
        is None
    )


async def assert_converged_with_blocks(faults, editors, note_id, fleet):
    """As assert_converged, for a text that also holds pasted blocks (one word each)."""
    blocks = {word for word in fleet.editors[0].text.split() if word.startswith("[")}
    await wait_until(
        lambda: len({e.text for e in editors}) == 1,
        within=CONVERGE_WITHIN,
        what="every client holds the same text",
    )
    text = editors[0].text
    words = set(text.split())
    assert fleet.typed <= words
    assert blocks <= words
    assert check_markers_ok(text, fleet)
    assert await fresh_text(note_url(faults, note_id), faults.origin) == text
    for worker in running_workers(faults):
        url = f"ws://127.0.0.1:{worker.port}/ws/notes/{note_id}/?name=Fresh"
        assert await fresh_text(url, worker.url) == text

    async def stored():
        return await asyncio.to_thread(faults.markdown, note_id) == text and (
            await asyncio.to_thread(faults.stored_text, note_id) == text
        )

    await wait_until(stored, within=CONVERGE_WITHIN, what="the database holds the same text")


# --- 8. New connections while PostgreSQL is down ------------------------------------------------


async def try_connect(url: str, origin: str) -> tuple[str, object]:
    """("synced", None), ("closed", (code, reason)) or ("http", status)."""
    editor_doc = Editor(url, origin, name="probe").y
    try:
        async with asyncio.timeout(15):
            async with connect(url, origin=origin, max_size=None, open_timeout=10) as ws:
                await ws.send(editor_doc.sync_step1())
                while not editor_doc.synced:
                    for reply in editor_doc.receive(await ws.recv()):
                        await ws.send(reply)
                return "synced", None
    except websockets.InvalidStatus as exc:
        return "http", exc.response.status_code
    except websockets.ConnectionClosed as closed:
        frame = closed.rcvd
        return "closed", (frame.code if frame else None, frame.reason if frame else "")


async def test_new_connections_during_a_postgres_outage_are_refused_then_served(faults):
    note_id = faults.new_note()
    fleet = await start_fleet(faults, note_id)
    other_note = faults.new_note()  # not open anywhere: needs the database to load
    await fleet.type(seconds=2, tag="x")

    faults.cluster.postgres.stop()
    typing = asyncio.ensure_future(fleet.type(seconds=10, tag="y"))
    await asyncio.sleep(1)
    outcomes = []
    for i in range(8):
        target = note_id if i % 2 else other_note
        outcomes.append(await try_connect(note_url(faults, target, f"New{i}"), faults.origin))
        await asyncio.sleep(0.5)
    # A clear refusal the editor reconnects after, never an HTTP error.
    assert set(outcomes) == {("closed", (1013, "database unavailable; reconnecting"))}, outcomes
    await typing

    faults.cluster.postgres.start()
    answered = time.monotonic()
    results = []
    while time.monotonic() - answered < 6:
        results.append(
            (
                time.monotonic() - answered,
                await try_connect(note_url(faults, other_note, "Back"), faults.origin),
            )
        )
        await asyncio.sleep(0.25)
    first_ok = next((t for t, (kind, _) in results if kind == "synced"), None)
    print(f"first socket served {first_ok} s after PostgreSQL answered")  # shown with -s
    assert first_ok is not None, results
    assert first_ok < 3, results
    # Once served, always served.
    assert all(kind == "synced" for t, (kind, _) in results if t >= first_ok), results

    await fleet.type(seconds=2, tag="z")
    await assert_converged(faults, fleet.editors, note_id, fleet.typed)
    await fleet.stop()
