"""What an outline's headings mean for an event: talks, open spaces, groups, days.

Pure functions over `notes.outline` sections, no database. A top-level heading
is a day marker, a group (its sub-headings are the items), an open space or a
talk; speakers and titles are split out of the shapes people write:

    Speaker (affiliation), Title      Speaker (@handle), Title
    Speaker: Title                    Speaker, Title            Title

A section carrying properties (our own export) is taken from them as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from notes.outline import Outline, Section

OPEN_SPACE = "open-space"  # the kind of an OpenSpace; the other kinds are Talk.Kind values

_SEP = r"\s*[,:\-–—]\s*"
_OPEN_SPACE_ITEM = re.compile(rf"^open[ -]?space(?:\s+session)?{_SEP}(?P<rest>.+)$", re.I)
_DAY_WORDS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_DAY_SUFFIX = re.compile(
    r"(?:^|[\s,:\-–—(]+)day\s*(?P<n>\d+)\)?\s*$|(?:^|[\s,:\-–—(]+)(?P<iso>\d{4}-\d{2}-\d{2})\)?\s*$",
    re.I,
)
_DAY_HEADING = re.compile(
    rf"^(?:day\s*(?P<n>\d+))?(?:[\s,:\-–—·]*{_DAY_WORDS})?(?:[\s,:\-–—·]*(?P<iso>\d{{4}}-\d{{2}}-\d{{2}}))?$",
    re.I,
)
_GROUPS = [
    (re.compile(r"^(?:ignites?|ignite talks|lightning(?: talks)?|lightnings)$", re.I), "ignite"),
    (re.compile(r"^open[ -]?spaces(?: sessions)?$|^open[ -]?space sessions$", re.I), OPEN_SPACE),
    (re.compile(r"^(?:[\w.&' -]+ )?demos$|^demo sessions$", re.I), "demo"),
    (re.compile(r"^keynotes$", re.I), "keynote"),
    (re.compile(r"^(?:talks|presentations|sessions)$", re.I), "talk"),
    (re.compile(r"^sponsors?(?: talks| notes)?$", re.I), "sponsor"),
    # Items sorted under it keep their own kind (our export's undated items).
    (re.compile(r"^(?:not on the schedule|unscheduled|other sessions)$", re.I), ""),
]
_SPONSOR = re.compile(r"\bsponsor", re.I)
_URL = re.compile(r"\s*\(?\b(?:https?://|www\.)\S+?\)?(?=\s|$)")
_PARTICLES = {
    "de", "di", "da", "del", "della", "van", "von", "der", "den", "le", "la", "du", "des",
    "dos", "das", "ten", "ter", "bin", "al", "el", "y", "zu",
}  # fmt: skip
_NAME_WORD = re.compile(r"^[\w.'’\-]+$")
_PEOPLE_SEP = re.compile(r"\s+and\s+|\s*&\s*|\s*/\s*|\s*,\s*|\s*;\s*")


@dataclass
class PlannedItem:
    """One talk or open space the outline describes."""

    kind: str  # a Talk.Kind value, or OPEN_SPACE
    title: str
    people: list[str]  # speakers of a talk, the host of an open space
    markdown: str
    line: int
    day: int | None = None  # 1 = the event's first day
    date: date | None = None  # an explicit date (day heading or properties)
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def is_open_space(self) -> bool:
        return self.kind == OPEN_SPACE


@dataclass
class Plan:
    title: str
    description: str  # the text before the first heading, as Markdown
    items: list[PlannedItem]


class _Context:
    def __init__(self) -> None:
        self.day: int | None = None
        self.date: date | None = None
        self.first_day_index: int | None = None

    def set_day(self, day: tuple[int | None, date | None], index: int) -> None:
        if self.first_day_index is None:
            self.first_day_index = index
        self.day, self.date = day


def plan_outline(outline: Outline, *, byline=None) -> Plan:
    """The items of an outline, in document order.

    `byline(properties) -> str | None` gives the line our export writes under an
    item's heading, so that re-importing an export does not add it to the notes.
    """
    from notes import markup

    context = _Context()
    items: list[PlannedItem] = []
    for section in outline.sections:
        _top_level(section, context, items, byline)
    if context.first_day_index is not None:
        # A day heading names the day of what follows; what came before the
        # first one happened on the first day.
        for item in items[: context.first_day_index]:
            if item.day is None and item.date is None and not item.properties:
                item.day = 1
    description = markup.render_markdown(outline.preamble)
    return Plan(title=outline.title, description=description, items=items)


def _top_level(section: Section, context: _Context, items: list, byline) -> None:
    title = section.title.strip()
    day = day_of_heading(title)
    if day is not None and not section.properties:
        context.set_day(day, len(items))
        for child in section.children:
            _top_level(child, context, items, byline)
        if section.blocks:
            items.append(_item(section, context, kind="other", title=title, people=[]))
        return
    group = group_of_heading(title) if section.children and not section.properties else None
    if group is not None:
        kind, day = group
        if day is not None:
            context.set_day(day, len(items))
        if section.blocks:
            items.append(
                _item(section, context, kind="other", title=title, people=[], children=False)
            )
        for child in section.children:
            items.append(_classify(child, context, group_kind=kind or None, byline=byline))
        return
    items.append(_classify(section, context, group_kind=None, byline=byline))


def day_of_heading(title: str) -> tuple[int | None, date | None] | None:
    """(day number, date) when the heading only names a day ("Day 2", "2013-04-16")."""
    m = _DAY_HEADING.match(title.strip())
    if not m or not (m.group("n") or m.group("iso")):
        return None
    return _day_values(m.group("n"), m.group("iso"))


def group_of_heading(title: str) -> tuple[str, tuple | None] | None:
    """(implied kind, day) for a group heading ("Ignites", "Open spaces, day 2")."""
    text = title.strip()
    day = None
    suffix = _DAY_SUFFIX.search(text)
    if suffix and suffix.start() > 0:
        day = _day_values(suffix.group("n"), suffix.group("iso"))
        text = text[: suffix.start()].strip()
    for pattern, kind in _GROUPS:
        if pattern.match(text):
            return kind, day
    return None


def _day_values(number: str | None, iso: str | None) -> tuple[int | None, date | None]:
    when = None
    if iso:
        try:
            when = date.fromisoformat(iso)
        except ValueError:
            when = None
    return (int(number) if number else None), when


def _item(section, context, *, kind, title, people, children=True) -> PlannedItem:
    from notes import markup

    blocks = section.note_blocks() if children else section.blocks
    return PlannedItem(
        kind=kind,
        title=title,
        people=people,
        markdown=markup.render_markdown(blocks),
        line=section.line,
        day=context.day,
        date=context.date,
    )


def _classify(section: Section, context: _Context, *, group_kind, byline) -> PlannedItem:
    if section.properties.get("kind"):
        return _from_properties(section, byline)
    text = " ".join(section.title.split())
    kind = group_kind or "talk"
    people: list[str] = []
    title = text

    open_space = _OPEN_SPACE_ITEM.match(text)
    if open_space:
        kind, text = OPEN_SPACE, open_space.group("rest").strip()
    if kind != OPEN_SPACE and _SPONSOR.search(text):
        kind = "sponsor"
        title, people = _split_sponsor(text)
    else:
        title, people = split_title(text, in_group=group_kind is not None)
    if kind == "demo":
        title = re.sub(r"^demo\s*[:\-–—]\s*|\s+demo$", "", title, flags=re.I) or title

    target = section
    # "Speakers" over one sub-heading and nothing else: the sub-heading is the title.
    if (
        people
        and names_list(title, allow_single_word=True)
        and len(section.children) == 1
        and not section.blocks
    ):
        target = section.children[0]
        title = " ".join(target.title.split())
    if kind == OPEN_SPACE:
        people = people[:1] if people else []
    item = _item(target, context, kind=kind, title=title, people=people)
    item.line = section.line
    return item


def _from_properties(section: Section, byline) -> PlannedItem:
    from notes import markup

    props = section.properties
    blocks = section.note_blocks()
    expected = byline(props) if byline else None
    if expected and blocks and getattr(blocks[0], "text", None) == expected:
        blocks = blocks[1:]
    people_key = "host" if props.get("kind") == OPEN_SPACE else "speakers"
    people = [p.strip() for p in props.get(people_key, "").split(",") if p.strip()]
    when = None
    if props.get("day"):
        try:
            when = date.fromisoformat(props["day"])
        except ValueError:
            when = None
    if when is None and props.get("start"):
        try:
            when = datetime.fromisoformat(props["start"]).date()
        except ValueError:
            when = None
    return PlannedItem(
        kind=props["kind"],
        title=props.get("title") or " ".join(section.title.split()),
        people=people,
        markdown=markup.render_markdown(blocks),
        line=section.line,
        date=when,
        properties=dict(props),
    )


def _split_sponsor(text: str) -> tuple[str, list[str]]:
    """ "A note from the sponsors: Simon Maple, Zero Turnaround"."""
    head, sep, who = text.partition(":")
    if not sep or not who.strip():
        return text, []
    who = who.strip()
    m = re.match(r"^(?P<name>[^,()]+?)\s*(?:,\s*(?P<org>.+)|\((?P<paren>[^()]+)\))$", who)
    if m and is_name(m.group("name")):
        org = m.group("org") or m.group("paren")
        return head.strip(), [_person(m.group("name"), org)]
    return head.strip(), [who]


def split_title(text: str, *, in_group: bool = False) -> tuple[str, list[str]]:
    """(title, speakers) of a talk heading; speakers keep "(affiliation)"."""
    urls = [u.strip().strip("()") for u in _URL.findall(text)]
    bare = _URL.sub("", text).strip(" ,:-–—")

    m = re.match(rf"^(?P<who>[^,:()]+?)\s*\((?P<aff>[^()]*)\){_SEP}(?P<title>.+)$", bare)
    if m and is_name(m.group("who")):
        return m.group("title").strip(), [_person(m.group("who"), m.group("aff"))]

    m = re.match(r"^(?P<who>[^:]+?)\s*:\s+(?P<title>.+)$", bare)
    if m:
        people = names_list(m.group("who"), allow_single_word=True)
        if people:
            return m.group("title").strip(), people

    m = re.match(r"^(?P<who>[^,]+?),\s+(?P<title>.+)$", bare)
    if m and is_person(m.group("who")):
        return m.group("title").strip(), [_person(m.group("who"), None)]

    # A heading that only names people: several of them, or one inside a group
    # (an ignite is often noted down by its speaker alone).
    people = names_list(bare, allow_single_word=in_group)
    if people and (in_group or len(people) > 1):
        if urls and len(people) == 1:
            people = [_person(people[0], urls[0])]
        return bare, people
    return text, []


def names_list(text: str, *, allow_single_word: bool) -> list[str]:
    """The people in "A and B/C", or [] when it is not only names."""
    parts = [p for p in _PEOPLE_SEP.split(text.strip()) if p]
    people = []
    for part in parts:
        m = re.match(r"^(?P<who>[^()]+?)\s*\((?P<aff>[^()]*)\)$", part)
        who, aff = (m.group("who"), m.group("aff")) if m else (part, None)
        single_ok = allow_single_word and len(parts) == 1
        if not (is_person(who) or (single_ok and _is_single_name(who))):
            return []
        people.append(_person(who, aff))
    return people


def is_name(text: str) -> bool:
    """Looks like a person's or an organisation's name (or a @handle)."""
    text = text.strip()
    if re.fullmatch(r"@\w+", text):
        return True
    words = text.split()
    if not 1 <= len(words) <= 5 or words[0].lower() in _PARTICLES:
        return False
    for word in words:
        if word.lower() in _PARTICLES:
            continue
        if not (_NAME_WORD.match(word) and word[0].isupper()):
            return False
    return True


def is_person(text: str) -> bool:
    text = text.strip()
    return is_name(text) and (text.startswith("@") or len(text.split()) >= 2)


def _is_single_name(text: str) -> bool:
    # "SERENA", "OCTO": a one-word organisation is written in capitals.
    text = text.strip()
    return is_name(text) and (text.startswith("@") or text.isupper() or len(text.split()) >= 2)


def _person(name: str, extra: str | None) -> str:
    name = " ".join(name.split())
    extra = " ".join((extra or "").split()).replace(",", ";")
    return f"{name} ({extra})" if extra else name
