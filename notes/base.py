"""Names the room, its writer and its peers share: where a change came from, and
what a room refuses."""

# WebSocket close codes the room decides on (the consumer lists them all).
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 4413
CLOSE_FLOOD = 4429
# Try again later: reconnect and resync (the client loses nothing).
CLOSE_RECONNECT = 1013


class UpdateRejected(Exception):
    """pycrdt refused an update (undecodable or inconsistent)."""


class Refused(Exception):
    """A client went past one of the room's limits: close it with `code`, saying `reason`."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class NoteGone(Exception):
    """The note does not exist (any more)."""


class Origin:
    """Where a change to a room's document came from (clients are their Connection)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<origin {self.name}>"


# Relayed by another process over the channel layer: stored here too, not relayed back.
PEER = Origin("peer")
# Made by the server itself (note_replace_text): stored and relayed like a client's.
SERVER = Origin("server")
# Read back from the database, where another process stored it: already stored,
# and that process relays it.
STORE = Origin("store")
