"""What folder and file names say: the day (`day1`, `day_one`, `day-2`, `2019-07-10`),
the kind (`open-spaces`, `ignites`, `workshops`…) and a title (`kubernetes-at-scale`).

Pure functions over names, no file system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from .headings import DEMO, IGNITE, KEYNOTE, OPEN_SPACE, SPONSOR, TALK, WORKSHOP, day_number

_ISO = re.compile(r"(?<!\d)(?P<y>\d{4})[-_.](?P<m>\d{2})[-_.](?P<d>\d{2})(?!\d)")
_DAY = re.compile(
    r"(?:^|(?<=[-_ .]))(?:day[-_ ]?(?P<n>\d{1,2}|one|two|three|four|five|six|seven)"
    r"|(?P<ord>first|second|third|fourth|fifth)[-_ ]day)(?=$|[-_ .])",
    re.I,
)
_NUMBERING = re.compile(r"^\d{1,3}(?:[-_. ]+|$)")
_TRAILING_NUMBER = re.compile(r"(?:^|\s+)\d{1,3}$")
_SEPARATORS = re.compile(r"[-_.\s]+")

# A whole folder or file name that names a kind ("open-spaces/", "ignites.md").
_KIND_NAMES = {
    **dict.fromkeys(
        ["open spaces", "openspaces", "open space", "openspace", "open space sessions",
         "unconference", "open spaces sessions"], OPEN_SPACE),
    **dict.fromkeys(["ignites", "ignite", "lightning", "lightnings", "lightning talks",
                     "ignite talks"], IGNITE),
    **dict.fromkeys(["workshops", "workshop", "tutorials", "hands on"], WORKSHOP),
    **dict.fromkeys(["demos", "demo", "demo sessions"], DEMO),
    **dict.fromkeys(["keynotes", "keynote"], KEYNOTE),
    **dict.fromkeys(["talks", "presentations", "sessions", "conference talks"], TALK),
    **dict.fromkeys(["sponsors", "sponsor talks"], SPONSOR),
}  # fmt: skip
# A file name that starts with one names the kind of the item it holds ("keynote-culture.md").
_KIND_PREFIX = re.compile(
    r"^(?P<word>keynote|ignite|lightning|workshop|open ?space|demo)\s+(?P<rest>.+)$", re.I
)
_INDEX_NAMES = {"readme", "index", "_index"}


@dataclass(frozen=True)
class NameMeaning:
    day: int | None = None
    date: date | None = None
    kind: str | None = None


def _words(name: str) -> str:
    return " ".join(_SEPARATORS.split(name.lower())).strip()


def _without_day(name: str) -> str:
    return _DAY.sub(" ", _ISO.sub(" ", name))


def name_meaning(name: str, *, is_file: bool = False) -> NameMeaning:
    """The day, date and kind one folder or file name (without extension) states."""
    when = None
    iso = _ISO.search(name)
    if iso:
        try:
            when = date(int(iso.group("y")), int(iso.group("m")), int(iso.group("d")))
        except ValueError:
            when = None
    day_match = _DAY.search(name)
    day = day_number(day_match.group("n") or day_match.group("ord")) if day_match else None
    # "03-ignites", "ignites-2": numbering around a kind name says nothing more.
    rest = _TRAILING_NUMBER.sub("", _NUMBERING.sub("", _words(_without_day(name))))
    kind = _KIND_NAMES.get(rest)
    if kind is None and is_file:
        prefix = _KIND_PREFIX.match(rest)
        if prefix:
            kind = _KIND_NAMES.get(prefix.group("word"))
    return NameMeaning(day=day, date=when, kind=kind)


def path_meaning(folders: tuple[str, ...], stem: str) -> NameMeaning:
    """What the folders (outermost first) and the file's name say together; the
    innermost name that says something wins."""
    day: int | None = None
    when: date | None = None
    kind: str | None = None
    for index, name in enumerate([*folders, stem]):
        meaning = name_meaning(name, is_file=index == len(folders))
        if meaning.date:
            when, day = meaning.date, None
        if meaning.day:
            day = meaning.day
            if not meaning.date:
                when = None
        kind = meaning.kind or kind
    return NameMeaning(day=day, date=when, kind=kind)


def humanize(name: str) -> str:
    """A title from a file or folder name: "day1_kubernetes-at-scale" → "Kubernetes at scale"."""
    text = _words(_without_day(name))
    text = _NUMBERING.sub("", text)
    prefix = _KIND_PREFIX.match(text)
    if prefix:
        text = prefix.group("rest")
    # Keep the writer's capitals ("GitOps_in_practice"): re-read them from the name.
    original = [w for w in _SEPARATORS.split(_without_day(name)) if w]
    lowered = {w.lower(): w for w in original}
    words = [lowered.get(w, w) for w in text.split()]
    if not words or _KIND_NAMES.get(" ".join(words).lower()):
        return ""
    title = " ".join(words)
    if title.islower():
        title = title[0].upper() + title[1:]
    return title


def is_index_name(path: str) -> bool:
    """README.md, index.org…: the file that describes its folder."""
    return PurePosixPath(path).stem.lower() in _INDEX_NAMES


def natural_key(path: str) -> list:
    """Sort "day2" before "day10"."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path)]
