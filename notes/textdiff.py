"""Word-level differences between two texts: for people (inline HTML with <ins> and
<del>), for the size of a change, and as the edits that turn one text into the other
(a restore applies them to the live document, so the words both texts share keep
their authors and whatever others type meanwhile is kept).

Two passes, as most diff tools do: lines first (fast on long notes, where few lines
change), then words within each block of changed lines. Words are runs of letters
and digits; every other character is a token of its own, and whitespace runs are
tokens too, so spacing changes show.
"""

import re
from bisect import bisect_left
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
# Past this many token pairs in one block of changed lines, the block is shown as
# deleted and inserted whole rather than matched word by word (matching is quadratic).
MAX_WORD_PAIRS = 4_000_000

EQUAL, DELETE, INSERT = "equal", "delete", "insert"


@dataclass(frozen=True, slots=True)
class Segment:
    op: str  # EQUAL, DELETE or INSERT
    text: str


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _words(old: str, new: str) -> list[Segment]:
    a, b = tokens(old), tokens(new)
    if len(a) * len(b) > MAX_WORD_PAIRS:
        return [Segment(DELETE, old), Segment(INSERT, new)]
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(Segment(EQUAL, "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Segment(DELETE, "".join(a[i1:i2])))
        if j2 > j1:
            out.append(Segment(INSERT, "".join(b[j1:j2])))
    return out


def _tidy(segments: list[Segment]) -> list[Segment]:
    """Merge neighbours of one kind, and let a change swallow a lone space (not a line
    break) between two changes: "<del>a</del><ins>x</ins> <del>b</del><ins>y</ins>"
    reads better as "<del>a b</del><ins>x y</ins>"."""
    out: list[Segment] = []
    for index, segment in enumerate(segments):
        if (
            segment.op == EQUAL
            and 0 < index < len(segments) - 1
            and segment.text.isspace()
            and "\n" not in segment.text
            and segments[index - 1].op != EQUAL
            and segments[index + 1].op != EQUAL
        ):
            out.append(Segment(DELETE, segment.text))
            out.append(Segment(INSERT, segment.text))
            continue
        out.append(segment)
    # Bring each run of changes into the order deletions, then insertions; merge.
    merged: list[Segment] = []
    run: dict[str, list[str]] = {DELETE: [], INSERT: []}

    def close_run() -> None:
        for op in (DELETE, INSERT):
            if run[op]:
                merged.append(Segment(op, "".join(run[op])))
                run[op] = []

    for segment in out:
        if not segment.text:
            continue
        if segment.op == EQUAL:
            close_run()
            if merged and merged[-1].op == EQUAL:
                merged[-1] = Segment(EQUAL, merged[-1].text + segment.text)
            else:
                merged.append(segment)
        else:
            run[segment.op].append(segment.text)
    close_run()
    return merged


def diff(old: str, new: str) -> list[Segment]:
    """The word-level difference from `old` to `new`."""
    if old == new:
        return [Segment(EQUAL, old)] if old else []
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in _line_opcodes(a, b):
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            segments.append(Segment(EQUAL, removed))
        elif tag == "delete":
            segments.append(Segment(DELETE, removed))
        elif tag == "insert":
            segments.append(Segment(INSERT, added))
        else:
            segments.extend(_words(removed, added))
    return _tidy(segments)


def _line_opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes between two lists of lines, patience-style: lines that
    occur once in each are matched first (their longest run in the same order), and only
    the stretches between them go to difflib. A 50 KB note is ~1,500 lines, and difflib
    alone on all of them took most of a comparison's time."""
    blocks: list[tuple[int, int, int]] = []
    _match(a, b, 0, len(a), 0, len(b), blocks)
    opcodes = []
    i = j = 0
    for ai, bj, size in [*blocks, (len(a), len(b), 0)]:
        if i < ai and j < bj:
            opcodes.append(("replace", i, ai, j, bj))
        elif i < ai:
            opcodes.append(("delete", i, ai, j, bj))
        elif j < bj:
            opcodes.append(("insert", i, ai, j, bj))
        if size:
            opcodes.append(("equal", ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    return opcodes


def _match(a, b, alo: int, ahi: int, blo: int, bhi: int, blocks: list) -> None:
    """Append the matching blocks (a index, b index, size) of a[alo:ahi] and b[blo:bhi],
    in order."""
    head = 0
    while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
        head += 1
    tail = 0
    while (
        ahi - tail > alo + head
        and bhi - tail > blo + head
        and a[ahi - 1 - tail] == b[bhi - 1 - tail]
    ):
        tail += 1
    if head:
        blocks.append((alo, blo, head))
    alo, blo, ahi, bhi = alo + head, blo + head, ahi - tail, bhi - tail
    if alo < ahi and blo < bhi:
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
        if anchors:
            i, j = alo, blo
            for ai, bj in anchors:
                _match(a, b, i, ai, j, bj, blocks)
                blocks.append((ai, bj, 1))
                i, j = ai + 1, bj + 1
            _match(a, b, i, ahi, j, bhi, blocks)
        else:
            matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            for ai, bj, size in matcher.get_matching_blocks():
                if size:
                    blocks.append((alo + ai, blo + bj, size))
    if tail:
        blocks.append((ahi, bhi, tail))


def _unique_anchors(a, b, alo, ahi, blo, bhi) -> list[tuple[int, int]]:
    """Lines found exactly once in a[alo:ahi] and once in b[blo:bhi], as (i, j) pairs:
    their longest sequence increasing in both."""
    counts: dict[str, list[int]] = {}
    for i in range(alo, ahi):
        entry = counts.get(a[i])
        if entry is None:
            counts[a[i]] = [1, i, 0, -1]
        else:
            entry[0] += 1
    for j in range(blo, bhi):
        entry = counts.get(b[j])
        if entry is not None:
            entry[2] += 1
            entry[3] = j
    pairs = sorted((i, j) for n, i, m, j in counts.values() if n == 1 and m == 1)
    if not pairs:
        return []
    # Longest increasing subsequence of the j's (patience sorting).
    tops: list[int] = []  # j at the top of each pile
    top_index: list[int] = []  # index in pairs of that top
    back: list[int] = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        pile = bisect_left(tops, j)
        back[index] = top_index[pile - 1] if pile else -1
        if pile == len(tops):
            tops.append(j)
            top_index.append(index)
        else:
            tops[pile] = j
            top_index[pile] = index
    out = []
    index = top_index[-1]
    while index >= 0:
        out.append(pairs[index])
        index = back[index]
    out.reverse()
    return out


def diff_html(old: str, new: str) -> str:
    """The difference as HTML: the text escaped, deletions in <del>, insertions in
    <ins>. Whitespace is kept as is (show it in a `white-space: pre-wrap` box)."""
    parts = []
    for segment in diff(old, new):
        text = escape(segment.text)
        if segment.op == DELETE:
            parts.append(f"<del>{text}</del>")
        elif segment.op == INSERT:
            parts.append(f"<ins>{text}</ins>")
        else:
            parts.append(text)
    return "".join(parts)


def change_size(old: str, new: str) -> tuple[int, int]:
    """(characters inserted, characters deleted) from `old` to `new`, word by word."""
    added = removed = 0
    for segment in diff(old, new):
        if segment.op == INSERT:
            added += len(segment.text)
        elif segment.op == DELETE:
            removed += len(segment.text)
    return added, removed


def edits(old: str, new: str) -> list[tuple[int, int, str]]:
    """The edits turning `old` into `new`: (start, end, replacement) in character
    offsets of `old`, in ascending order and not overlapping. Apply them from the
    last to the first, so that each one's offsets are still those of `old`."""
    out: list[tuple[int, int, str]] = []
    position = 0
    pending: tuple[int, int, str] | None = None
    for segment in diff(old, new):
        if segment.op == EQUAL:
            if pending is not None:
                out.append(pending)
                pending = None
            position += len(segment.text)
        elif segment.op == DELETE:
            start = pending[0] if pending is not None else position
            insert = pending[2] if pending is not None else ""
            position += len(segment.text)
            pending = (start, position, insert)
        else:
            if pending is None:
                pending = (position, position, segment.text)
            else:
                pending = (pending[0], pending[1], pending[2] + segment.text)
    if pending is not None:
        out.append(pending)
    return out
