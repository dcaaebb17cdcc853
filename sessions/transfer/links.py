"""Relative links between the files of an imported repository.

A note that links to another notes file ("[see](day2/kubernetes.md)", Org's
"[[file:day2/kubernetes.org]]") links, once imported, to the page of the item
made from that file; a link to the repository's README, to the event. A
relative link to anything else goes nowhere on the site: it is reported.

Only link destinations are rewritten, in place; the rest of the note's text
stays as written. Code (fenced blocks, `code spans`) is left alone.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_INLINE_DEST = re.compile(r"(?<=\]\()(?P<ws>[ \t]*)(?P<dest><[^<>\n]*>|[^\s()<>]+)")
_REFERENCE = re.compile(r"^(?P<lead> {0,3}\[[^\]]+\]:[ \t]*)(?P<dest><[^<>\n]*>|\S+)")
_AUTOLINK = re.compile(r"<(?P<dest>file:[^<>\s]+)>")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


@dataclass(frozen=True)
class Target:
    """Where a relative link leads inside the repository."""

    path: str  # the file (or folder) it names, relative to the repository root
    fragment: str  # the "#…" part, "" if none


def target_of(href: str, *, from_file: str) -> Target | None:
    """The repository path a link names, or None for a link that is not relative
    (a URL, "mailto:", "/absolute", "#anchor-only")."""
    href = href.strip()
    if href.startswith("<") and href.endswith(">"):
        href = href[1:-1]
    if href.lower().startswith("file:"):
        href = href[5:]
        href, _, search = href.partition("::")  # Org's [[file:x.org::*Heading]]
        href = href + ("#" + search.lstrip("*#") if search else "")
    elif _SCHEME.match(href) or href.startswith(("/", "#", "?")) or not href:
        return None
    path, _, fragment = href.partition("#")
    path = unquote(path.split("?", 1)[0])
    if not path:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(from_file), path))
    if joined == ".":
        joined = ""
    return Target(path=joined, fragment=fragment)


def rewrite_links(markdown: str, replace: Callable[[str], str | None]) -> str:
    """`markdown` with each link destination `d` for which `replace(d)` gives a
    new one replaced by it (inline links, images, reference definitions and
    ``<file:…>`` autolinks), everything else as written."""
    out = []
    fence = ""
    for line in markdown.split("\n"):
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
            out.append(line)
            continue
        if m:
            fence = m.group(1)
            out.append(line)
            continue
        out.append(_rewrite_line(line, replace))
    return "\n".join(out)


def link_destinations(markdown: str) -> list[str]:
    """Every link destination `rewrite_links` would look at, in order."""
    found: list[str] = []
    rewrite_links(markdown, lambda dest: found.append(dest))
    return found


def _rewrite_line(line: str, replace) -> str:
    masked = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
    edits: list[tuple[int, int, str]] = []

    def consider(start: int, end: int, dest: str, *, angle: bool) -> None:
        new = replace(dest[1:-1] if angle else dest)
        if new is not None:
            edits.append((start, end, f"<{new}>" if angle else new))

    reference = _REFERENCE.match(masked)
    if reference:
        dest = reference.group("dest")
        consider(reference.start("dest"), reference.end("dest"), dest, angle=dest.startswith("<"))
    for m in _INLINE_DEST.finditer(masked):
        dest = m.group("dest")
        consider(m.start("dest"), m.end("dest"), dest, angle=dest.startswith("<"))
    for m in _AUTOLINK.finditer(masked):
        consider(m.start("dest"), m.end("dest"), m.group("dest"), angle=False)
    for start, end, new in sorted(edits, reverse=True):
        line = line[:start] + new + line[end:]
    return line
