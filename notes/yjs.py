"""Reading Yjs v1 updates in Python: which clients an update holds, and who wrote
each character of a document's text.

pycrdt applies and merges updates but does not expose a document's items, so
authorship ("who wrote what") is read from the encoded document itself: every
character was inserted by an item whose id is (client id, clock), and a merged
update or checkpoint keeps those ids (merging and compaction never rewrite them).

`text_runs` decodes a whole document (Yjs update format v1: per client, its structs
in clock order; then the delete set) and puts the text's items in document order
the way Yjs and Yrs do (YATA: an item goes right of its origin, and concurrent
items at one spot are ordered by the rule of `Item.integrate` in Yjs). The result
is checked against the text pycrdt itself reads from the same update; if they ever
differ (content this module does not know, a crafted update), `text_runs` says so
instead of guessing, and callers show the text without authors.

Clock lengths of strings are UTF-16 code units, as in Yjs (and Yrs, for the
encoding), whatever offsets pycrdt's API uses.
"""

from bisect import bisect_right
from collections import deque
from dataclasses import dataclass

from pycrdt import Doc, Text

from .protocol import CONTENT, ProtocolError

# Struct info bits (Yjs: BIT8 origin, BIT7 right origin, BIT6 parent sub, BITS5 content).
_HAS_ORIGIN = 0x80
_HAS_RIGHT_ORIGIN = 0x40
_HAS_PARENT_SUB = 0x20
_CONTENT_KIND = 0x1F

_GC = 0
_DELETED = 1
_JSON = 2
_BINARY = 3
_STRING = 4
_EMBED = 5
_FORMAT = 6
_TYPE = 7
_ANY = 8
_DOC = 9
_SKIP = 10

# Type refs of ContentType that carry a node name (YXmlElement, YXmlHook).
_NAMED_TYPES = {3, 5}


class UpdateUnreadable(ValueError):
    """An update this module cannot decode (or that is not a Yjs v1 update)."""


# --- Which clients an update holds (the live path) ---------------------------------


def update_clients(update: bytes) -> tuple[int, ...]:
    """The client ids whose structs `update` holds (not those it only deletes from).

    Called for every update a connection sends, so the usual case is read from the
    first bytes: an edit holds the structs of one client, and the update starts with
    1 (clients), the number of structs, then that client's id. Any other shape (sync
    step 2 after being offline, merged updates) is decoded whole. (pycrdt's
    `get_state(update)` will not do: it leaves out clients whose structs do not
    start at clock 0, i.e. every edit after a client's first.)
    """
    if len(update) > 2 and update[0] == 1 and update[1] < 0x80:
        # One client, fewer than 128 structs: its id is the var-uint at byte 2.
        value = shift = 0
        for byte in update[2:12]:
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return (value,)
            shift += 7
        return ()
    if update[:1] == b"\x00":
        return ()  # deletions only (or nothing)
    try:
        clients, _ = _decode(update)
    except (ProtocolError, UnicodeDecodeError):
        return ()
    return tuple(client for client, structs in clients.items() if structs)


# --- Decoding whole documents ---------------------------------------------------------


class _Struct:
    """An item (or GC range) of the document, as far as the text needs it."""

    __slots__ = (
        "client",
        "clock",
        "deleted",
        "gc",
        "in_text",
        "kind",
        "left",
        "length",
        "origin",
        "parent_id",
        "parent_root",
        "parent_sub",
        "right",
        "right_origin",
        "text",
    )

    def __init__(self, client: int, clock: int, length: int):
        self.client = client
        self.clock = clock
        self.length = length
        self.kind = _GC
        self.gc = True
        self.deleted = True
        self.text: str | None = None
        self.origin: tuple[int, int] | None = None
        self.right_origin: tuple[int, int] | None = None
        self.parent_root: str | None = None
        self.parent_id: tuple[int, int] | None = None
        self.parent_sub: str | None = None
        self.in_text = False
        self.left: _Struct | None = None
        self.right: _Struct | None = None

    @property
    def last_id(self) -> tuple[int, int]:
        return (self.client, self.clock + self.length - 1)


def _utf16_length(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf16_split(text: str, offset: int) -> tuple[str, str]:
    if text.isascii():
        return text[:offset], text[offset:]
    units = text.encode("utf-16-le", "surrogatepass")
    left = units[: 2 * offset].decode("utf-16-le", "surrogatepass")
    right = units[2 * offset :].decode("utf-16-le", "surrogatepass")
    return left, right


def _decode(update: bytes) -> tuple[dict[int, list[_Struct]], list[tuple[int, int, int]]]:
    """Structs per client (in clock order) and the delete set (client, clock, length).

    One function with its reading inlined: a note typed for hours holds thousands of
    structs, and method calls per number were most of the time.
    """
    data = update
    pos = 0

    def uint() -> int:
        nonlocal pos
        byte = data[pos]
        pos += 1
        if byte < 0x80:
            return byte
        value, shift = byte & 0x7F, 7
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ProtocolError("var-uint longer than 64 bits")

    def chunk() -> bytes:
        nonlocal pos
        length = uint()
        start = pos
        pos += length
        if pos > len(data):
            raise ProtocolError("truncated update")
        return data[start:pos]

    def any_value(depth: int = 0) -> None:
        nonlocal pos
        if depth > 100:
            raise ProtocolError("nesting too deep")
        kind = data[pos]
        pos += 1
        if kind in (127, 126, 121, 120):  # undefined, null, false, true
            return
        if kind == 125:  # var-int: 6 bits and the sign first, then 7 bits a byte
            while data[pos] & 0x80:
                pos += 1
            pos += 1
        elif kind == 124:
            pos += 4
        elif kind in (123, 122):
            pos += 8
        elif kind in (119, 116):  # string, bytes
            chunk()
        elif kind == 118:  # object
            for _ in range(uint()):
                chunk()
                any_value(depth + 1)
        elif kind == 117:  # array
            for _ in range(uint()):
                any_value(depth + 1)
        else:
            raise ProtocolError(f"unknown any type {kind}")

    try:
        clients: dict[int, list[_Struct]] = {}
        for _ in range(uint()):
            count = uint()
            client = uint()
            clock = uint()
            structs = clients.setdefault(client, [])
            for _ in range(count):
                info = data[pos]
                pos += 1
                kind = info & _CONTENT_KIND
                if kind == _GC:
                    length = uint()
                    structs.append(_Struct(client, clock, length))
                    clock += length
                    continue
                if kind == _SKIP:
                    clock += uint()
                    continue
                struct = _Struct(client, clock, 0)
                struct.kind = kind
                struct.gc = struct.deleted = False
                if info & _HAS_ORIGIN:
                    struct.origin = (uint(), uint())
                if info & _HAS_RIGHT_ORIGIN:
                    struct.right_origin = (uint(), uint())
                if not info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN):
                    if uint() == 1:
                        struct.parent_root = chunk().decode()
                    else:
                        struct.parent_id = (uint(), uint())
                    if info & _HAS_PARENT_SUB:
                        struct.parent_sub = chunk().decode()
                if kind == _STRING:
                    text = struct.text = chunk().decode()
                    length = len(text) if text.isascii() else _utf16_length(text)
                elif kind == _DELETED:
                    length = uint()
                    struct.deleted = True
                elif kind == _JSON:
                    length = uint()
                    for _ in range(length):
                        chunk()
                elif kind == _ANY:
                    length = uint()
                    for _ in range(length):
                        any_value()
                elif kind in (_BINARY, _EMBED):
                    chunk()
                    length = 1
                elif kind == _FORMAT:
                    chunk()
                    chunk()
                    length = 1
                elif kind == _TYPE:
                    if uint() in _NAMED_TYPES:
                        chunk()
                    length = 1
                elif kind == _DOC:
                    chunk()
                    any_value()
                    length = 1
                else:
                    raise ProtocolError(f"unknown content kind {kind}")
                if length <= 0:
                    raise ProtocolError("empty struct")
                struct.length = length
                structs.append(struct)
                clock += length
        deletes = []
        for _ in range(uint()):
            client = uint()
            for _ in range(uint()):
                deletes.append((client, uint(), uint()))
    except IndexError as exc:
        raise ProtocolError("truncated update") from exc
    if pos != len(data):
        raise ProtocolError(f"{len(data) - pos} unexpected trailing bytes")
    for structs in clients.values():
        structs.sort(key=lambda struct: struct.clock)
    return clients, deletes


class _Store:
    """Integrated structs per client, findable by id; the text's item list."""

    def __init__(self):
        self.structs: dict[int, list[_Struct]] = {}
        self.clocks: dict[int, list[int]] = {}
        self.state: dict[int, int] = {}
        self.start: _Struct | None = None

    def add(self, struct: _Struct) -> None:
        self.structs.setdefault(struct.client, []).append(struct)
        self.clocks.setdefault(struct.client, []).append(struct.clock)
        self.state[struct.client] = struct.clock + struct.length

    def find(self, id_: tuple[int, int]) -> _Struct | None:
        clocks = self.clocks.get(id_[0])
        if not clocks:
            return None
        index = bisect_right(clocks, id_[1]) - 1
        if index < 0:
            return None
        struct = self.structs[id_[0]][index]
        return struct if id_[1] < struct.clock + struct.length else None

    def split(self, struct: _Struct, offset: int) -> _Struct:
        """Split `struct` at `offset` clock units; return the right part (as Yjs's
        splitItem: the right part's origin is the left part's last id)."""
        right = _Struct(struct.client, struct.clock + offset, struct.length - offset)
        right.kind, right.gc, right.deleted = struct.kind, struct.gc, struct.deleted
        right.in_text = struct.in_text
        right.parent_sub = struct.parent_sub
        if struct.text is not None:
            struct.text, right.text = _utf16_split(struct.text, offset)
        struct.length = offset
        if not struct.gc:
            right.origin = (struct.client, struct.clock + offset - 1)
            right.right_origin = struct.right_origin
        right.left = struct
        right.right = struct.right
        if struct.right is not None:
            struct.right.left = right
        struct.right = right
        clocks = self.clocks[struct.client]
        index = bisect_right(clocks, struct.clock)
        clocks.insert(index, right.clock)
        self.structs[struct.client].insert(index, right)
        return right

    def clean_end(self, id_: tuple[int, int]) -> _Struct | None:
        struct = self.find(id_)
        if struct is not None and id_[1] != struct.clock + struct.length - 1:
            self.split(struct, id_[1] - struct.clock + 1)
        return struct

    def clean_start(self, id_: tuple[int, int]) -> _Struct | None:
        struct = self.find(id_)
        if struct is not None and id_[1] != struct.clock:
            struct = self.split(struct, id_[1] - struct.clock)
        return struct

    def integrate(self, item: _Struct) -> None:
        if item.gc:
            self.add(item)
            return
        left = self.clean_end(item.origin) if item.origin is not None else None
        right = self.clean_start(item.right_origin) if item.right_origin is not None else None
        if (left is not None and left.gc) or (right is not None and right.gc):
            # Attached to garbage-collected content: Yjs keeps only its id range.
            item.gc, item.deleted, item.text = True, True, None
            self.add(item)
            return
        if left is not None or right is not None:
            anchor = left if left is not None else right
            item.in_text = anchor.in_text and anchor.parent_sub is None
            item.parent_sub = anchor.parent_sub
        else:
            item.in_text = (
                item.parent_root == CONTENT and item.parent_id is None and item.parent_sub is None
            )
        self.add(item)
        if not item.in_text:
            return
        self._place(item, left, right)

    def _place(self, item: _Struct, left: _Struct | None, right: _Struct | None) -> None:
        # YATA, as Item.integrate in Yjs: scan the items between left and right that
        # were inserted concurrently at the same spot and find where this one goes.
        if (left is not None and left.right is not right) or (
            left is None and right is not self.start
        ):
            o = left.right if left is not None else self.start
            conflicting: set[int] = set()
            before_origin: set[int] = set()
            while o is not None and o is not right:
                before_origin.add(id(o))
                conflicting.add(id(o))
                if item.origin == o.origin:
                    if o.client < item.client:
                        left = o
                        conflicting.clear()
                    elif item.right_origin == o.right_origin:
                        break
                elif o.origin is not None and id(self.find(o.origin)) in before_origin:
                    if id(self.find(o.origin)) not in conflicting:
                        left = o
                        conflicting.clear()
                else:
                    break
                o = o.right
        if left is not None:
            right = left.right
            left.right = item
        else:
            right = self.start
            self.start = item
        item.left = left
        item.right = right
        if right is not None:
            right.left = item

    def delete(self, client: int, clock: int, length: int) -> None:
        end = clock + length
        structs = self.structs.get(client)
        if not structs:
            return
        position = clock
        while position < end:
            struct = self.find((client, position))
            if struct is None:
                # A gap (not integrated): skip to the next struct of this client.
                clocks = self.clocks[client]
                index = bisect_right(clocks, position)
                if index >= len(clocks):
                    return
                position = clocks[index]
                continue
            if struct.clock < position:
                struct = self.split(struct, position - struct.clock)
            if struct.clock + struct.length > end:
                self.split(struct, end - struct.clock)
            struct.deleted = True
            position = struct.clock + struct.length


def _integrate_all(store: _Store, clients: dict[int, list[_Struct]]) -> None:
    """Integrate every struct after the structs it refers to (its causal order).

    Structs whose dependencies never arrive stay out, as pending structs stay out of
    a Yjs document.
    """
    queues = {client: deque(structs) for client, structs in clients.items()}
    blocked: set[int] = set()

    def missing(struct: _Struct) -> tuple[int, int] | None:
        for dep in (struct.origin, struct.right_origin, struct.parent_id):
            if dep is not None and store.state.get(dep[0], 0) <= dep[1]:
                return dep
        return None

    for first in list(queues):
        stack: list[tuple[int, int | None]] = [(first, None)]
        on_stack = {first}
        while stack:
            client, target = stack[-1]
            queue = queues[client]
            state = store.state.get(client, 0)
            if (target is not None and state > target) or not queue or client in blocked:
                stack.pop()
                on_stack.discard(client)
                continue
            head = queue[0]
            if head.clock + head.length <= state:
                queue.popleft()  # already integrated (a duplicate)
                continue
            if head.clock != state:
                if head.clock < state:  # overlaps what is integrated: keep the rest
                    queue[0] = head = _trim(head, state - head.clock)
                else:
                    blocked.add(client)  # a gap that nothing fills
                    continue
            dep = missing(head)
            if dep is None:
                queue.popleft()
                store.integrate(head)
                continue
            if dep[0] == client or dep[0] in on_stack or dep[0] in blocked or dep[0] not in queues:
                blocked.add(client)
                continue
            stack.append((dep[0], dep[1]))
            on_stack.add(dep[0])


def _trim(struct: _Struct, offset: int) -> _Struct:
    right = _Struct(struct.client, struct.clock + offset, struct.length - offset)
    right.kind, right.gc, right.deleted = struct.kind, struct.gc, struct.deleted
    right.parent_sub = struct.parent_sub
    if struct.text is not None:
        right.text = _utf16_split(struct.text, offset)[1]
    if not struct.gc:
        right.origin = (struct.client, struct.clock + offset - 1)
        right.right_origin = struct.right_origin
    return right


@dataclass(frozen=True)
class TextRuns:
    """The text of a document cut into runs of characters written by one client."""

    runs: list[tuple[int, str]]  # (client id, text), in document order
    text: str  # the whole text, as pycrdt reads it
    complete: bool  # False: the runs could not be read; `runs` is empty


def text_runs(update: bytes) -> TextRuns:
    """Who wrote each character of the `content` text of the document `update`
    (a whole document, e.g. a checkpoint merged with its log)."""
    doc = Doc()
    doc.get(CONTENT, type=Text)
    doc.apply_update(update)
    expected = str(doc.get(CONTENT, type=Text))
    try:
        clients, deletes = _decode(update)
    except (ProtocolError, UpdateUnreadable, UnicodeDecodeError):
        return TextRuns(runs=[], text=expected, complete=False)
    store = _Store()
    _integrate_all(store, clients)
    for client, clock, length in deletes:
        store.delete(client, clock, length)
    pieces: list[tuple[int, list[str]]] = []
    item = store.start
    while item is not None:
        if not item.deleted and item.kind == _STRING:
            if pieces and pieces[-1][0] == item.client:
                pieces[-1][1].append(item.text)
            else:
                pieces.append((item.client, [item.text]))
        elif not item.deleted and item.kind != _FORMAT:
            return TextRuns(runs=[], text=expected, complete=False)  # embeds: not Markdown
        item = item.right
    runs = [(client, "".join(parts)) for client, parts in pieces]
    if "".join(text for _, text in runs) != expected:
        return TextRuns(runs=[], text=expected, complete=False)
    return TextRuns(runs=runs, text=expected, complete=True)
