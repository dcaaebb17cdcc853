"""What one heading says: a day, a group of items, or an item's title, speakers and kind.

Pure functions, no database. Speakers are split out only where the part reads
as people — capitalized personal names, @handles, names joined by "&", "and",
"/" or commas, each with an optional "(affiliation)" or "(@handle)" — because
a false speaker is worse than none. The shapes:

    Speaker, Title          Speaker: Title          Speaker - Title
    Speaker -- Title        Speaker on Title        Speaker's talk on Title
    Speaker (affiliation), Title                    Speaker (@handle) title
    Title by Speaker        Title (Speaker)         Title - Speaker
    Speaker, Employer       Speakers only (in a group, or several of them)

"Title: Subtitle" stays a title. "keynote:", "Keynote -", "lightning talk",
"ignite", "workshop", "demo" and "open space" set the kind; quotes around a
title are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .words import ACRONYMS, COMMON, FIRST_NAMES, PARTICLES

OPEN_SPACE = "open-space"  # the kind of an OpenSpace; the other kinds are Talk.Kind values
KEYNOTE, TALK, IGNITE, WORKSHOP, DEMO, SPONSOR, OTHER = (
    "keynote",
    "talk",
    "ignite",
    "workshop",
    "demo",
    "sponsor",
    "other",
)


@dataclass(frozen=True)
class HeadingMeaning:
    title: str
    people: list[str] = field(default_factory=list)
    kind: str | None = None  # the kind the heading itself states, None if it says none


# ---------------------------------------------------------------- days and groups

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
}  # fmt: skip
_DAY_WORDS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_DAY_NUMBER = r"(?:\d{1,2}|one|two|three|four|five|six|seven)"
_SEP = r"[\s,:\-–—·|/]*"
_DAY_HEADING = re.compile(
    rf"^(?:(?:day\s*(?P<n>{_DAY_NUMBER})|(?P<ord>first|second|third|fourth|fifth)\s+day))?"
    rf"(?:{_SEP}\(?{_DAY_WORDS}\)?)?(?:{_SEP}\(?(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})\)?)?$",
    re.I,
)
_DAY_SUFFIX = re.compile(
    rf"(?:^|[\s,:\-–—(]+)day\s*(?P<n>{_DAY_NUMBER})\)?\s*$"
    r"|(?:^|[\s,:\-–—(]+)(?P<iso>\d{4}-\d{2}-\d{2})\)?\s*$",
    re.I,
)
_GROUPS = [
    (re.compile(r"^(?:ignites?|ignite talks|lightning(?: talks)?|lightnings)$", re.I), IGNITE),
    (re.compile(r"^open[ -]?spaces(?: sessions)?$|^open[ -]?space sessions$", re.I), OPEN_SPACE),
    (re.compile(r"^(?:[\w.&' -]+ )?demos$|^demo sessions$", re.I), DEMO),
    (re.compile(r"^keynotes$", re.I), KEYNOTE),
    (re.compile(r"^(?:hands-on )?workshops$|^tutorials$", re.I), WORKSHOP),
    (re.compile(r"^(?:talks|presentations|sessions)$", re.I), TALK),
    (re.compile(r"^sponsors?(?: talks| notes)?$", re.I), SPONSOR),
    # Items sorted under it keep their own kind (our export's undated items).
    (re.compile(r"^(?:not on the schedule|unscheduled|other sessions)$", re.I), ""),
]


def day_number(word: str | None) -> int | None:
    if not word:
        return None
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word.lower())


def day_of_heading(title: str) -> tuple[int | None, date | None] | None:
    """(day number, date) when the heading only names a day ("Day 2", "2013-04-16")."""
    m = _DAY_HEADING.match(title.strip())
    if not m or not (m.group("n") or m.group("ord") or m.group("iso")):
        return None
    return day_number(m.group("n") or m.group("ord")), _iso_date(m.group("iso"))


def group_of_heading(title: str) -> tuple[str, tuple | None] | None:
    """(implied kind, day) for a group heading ("Ignites", "Open spaces, day 2")."""
    text = title.strip()
    day = None
    suffix = _DAY_SUFFIX.search(text)
    if suffix and suffix.start() > 0:
        day = (day_number(suffix.group("n")), _iso_date(suffix.group("iso")))
        text = text[: suffix.start()].strip()
    for pattern, kind in _GROUPS:
        if pattern.match(text):
            return kind, day
    return None


def _iso_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# ---------------------------------------------------------------- people

_HANDLE = re.compile(r"@[A-Za-z0-9_][A-Za-z0-9_.-]{0,38}(?:@[\w.-]+)?")
_INITIALS = re.compile(r"^(?:[^\W\d_]\.){1,3}$")
_PREFIXED = re.compile(r"^(?:Mc|Mac|De|Di|Le|La|Du|Van|Von|Fitz|O['’])[^\W\d_][^\W\d_]+$")
_PEOPLE_SEP = re.compile(r"\s+and\s+|\s*&\s*|\s*/\s*|\s*,\s*|\s*;\s*")
_ORG_SUFFIX = re.compile(
    r"\b(?:inc|ltd|corp|corporation|gmbh|sa|sas|sarl|llc|llp|plc|ag|bv|co|labs|lab|group|"
    r"technologies|systems|software|consulting|solutions|foundation|university|institute)\.?$",
    re.I,
)


def _name_word(word: str) -> bool:
    """A capitalized word of a personal name: "Ada", "Le-Quoc", "O'Brien", "R.", "DUPONT"."""
    if _INITIALS.match(word) or _PREFIXED.match(word):
        return True
    for part in re.split(r"[-'’]", word):
        if not part or not part.isalpha() or not part[0].isupper():
            return False
        if not (part[1:].islower() or part[1:] == "" or part.isupper()):
            return False
    return True


def _common(word: str) -> bool:
    return word.lower().strip(".,") in COMMON


def is_handle(text: str) -> bool:
    return bool(_HANDLE.fullmatch(text.strip()))


def is_person(text: str, *, single: bool = False) -> bool:
    """Reads as one person: a @handle or a capitalized full name. With `single`,
    one word is enough when it is written in capitals ("OCTO") or is a first name."""
    text = text.strip()
    if is_handle(text):
        return True
    words = text.split()
    if not 1 <= len(words) <= 5 or words[0].lower() in PARTICLES:
        return False
    core = [w for w in words if w.lower() not in PARTICLES]
    if len(core) == 1:
        return single and _single_name(core[0])
    if not all(_name_word(w) for w in core) or any(_common(w) for w in core):
        return False
    # An all-capitals word is a surname only next to a normally written name.
    return not all(w.isupper() for w in core if not _INITIALS.match(w))


def _single_name(word: str) -> bool:
    if word.isupper() and word.isalpha() and len(word) >= 3:
        return word not in ACRONYMS
    return _name_word(word) and word.lower() in FIRST_NAMES


def is_org(text: str) -> bool:
    """Reads as an employer: "Acme Corp", "Google", "GOV.UK" (not a title's words)."""
    words = text.strip().split()
    if not 1 <= len(words) <= 4 or any(not w[:1].isupper() for w in words):
        return False
    if _ORG_SUFFIX.search(text.strip()):
        return not any(_common(w) for w in words[:-1])
    if len(words) == 1:
        word = words[0]
        return not _common(word) and word.upper() not in ACRONYMS and not word.isdigit()
    return False


def names_list(text: str, *, single: bool = False) -> list[str]:
    """The people in "A and B/C", or [] when the text is not only people.

    A first name alone counts in a list joined by "&" or "and" ("Ann & Bob"), or
    with a @handle after it ("Kelsey (@kelseyh)").
    """
    parts = [p for p in _PEOPLE_SEP.split(text.strip()) if p]
    if not parts:
        return []
    joined = len(parts) > 1 and re.search(r"\s+and\s+|&", text) is not None
    people = []
    for part in parts:
        m = re.match(r"^(?P<who>[^()]+?)\s*\((?P<aff>[^()]*)\)$", part)
        who, aff = (m.group("who"), m.group("aff")) if m else (part, None)
        handle_after = aff is not None and is_handle(aff)
        if not is_person(who, single=single or joined or handle_after):
            return []
        people.append(person(who, aff))
    return people


def person(name: str, extra: str | None) -> str:
    """ "Name (affiliation)", commas inside the affiliation made semicolons."""
    name = " ".join(name.split())
    extra = " ".join((extra or "").split()).replace(",", ";")
    return f"{name} ({extra})" if extra else name


# ---------------------------------------------------------------- kinds

_LABELS = [
    (r"(?:opening |closing |morning |afternoon |guest )?keynote(?: talk| speech)?", KEYNOTE),
    (r"lightning talk|lightning|ignite talk|ignite", IGNITE),
    (r"(?:hands-on )?workshop|tutorial", WORKSHOP),
    (r"live demo|demo", DEMO),
    (r"open[ -]?space(?: session)?", OPEN_SPACE),
]
_LABEL = "|".join(f"(?:{words})" for words, _ in _LABELS)
_PREFIX = re.compile(
    rf"^(?P<label>{_LABEL})\s*(?:[:|,]|\s[-–—]{{1,2}}|[-–—]{{1,2}})\s*(?P<rest>.+)$", re.I
)
_SUFFIX = re.compile(
    rf"^(?P<rest>.+?)\s*(?:\((?P<paren>{_LABEL})\)|\s[-–—]{{1,2}}\s*(?P<dash>{_LABEL})|:\s*(?P<colon>{_LABEL}))$",
    re.I,
)
_BARE_SUFFIX = re.compile(r"^(?P<rest>.+?)\s+(?P<label>lightning talk|ignite|demo)$", re.I)
_WHOLE = re.compile(rf"^(?:{_LABEL})s?$", re.I)
_SPONSOR = re.compile(r"\bsponsor", re.I)
_QUOTES = [('"', '"'), ("“", "”"), ("«", "»"), ("'", "'"), ("‘", "’"), ("„", "“")]
_URL = re.compile(r"\s*\(?\b(?:https?://|www\.)\S+?\)?(?=\s|$)")


def _kind_of_label(label: str) -> str:
    for words, kind in _LABELS:
        if re.fullmatch(words, label, re.I):
            return kind
    return TALK


def unquote(text: str) -> str:
    text = text.strip()
    for left, right in _QUOTES:
        if len(text) > 2 and text.startswith(left) and text.endswith(right):
            inner = text[len(left) : -len(right)].strip()
            if left not in inner and right not in inner:
                return inner
    return text


def _kind_marker(text: str) -> tuple[str | None, str, str]:
    """(kind, label as written, the rest of the heading)."""
    if _WHOLE.match(text):
        return _kind_of_label(text.rstrip("sS")), text, ""
    m = _PREFIX.match(text)
    if m:
        return _kind_of_label(m.group("label")), m.group("label"), m.group("rest").strip()
    m = _SUFFIX.match(text)
    if m:
        label = m.group("paren") or m.group("dash") or m.group("colon")
        return _kind_of_label(label), label, m.group("rest").strip()
    m = _BARE_SUFFIX.match(text)
    if m:
        return _kind_of_label(m.group("label")), m.group("label"), m.group("rest").strip()
    return None, "", text


# ---------------------------------------------------------------- the heading


def read_heading(text: str, *, group_kind: str | None = None) -> HeadingMeaning:
    """Title, speakers and stated kind of an item's heading.

    `group_kind` is the kind of the group (heading, folder or file) the item is
    in, if any: there, a heading that only names a person is that person's item.
    """
    text = unquote(" ".join(text.split()))
    kind, label, rest = _kind_marker(text)
    if kind is None and _SPONSOR.search(text):
        title, people = _split_sponsor(text)
        return HeadingMeaning(title=unquote(title), people=people, kind=SPONSOR)
    if not rest:
        return HeadingMeaning(title=text, kind=kind)
    label = label if kind is not None else ""
    in_group = group_kind is not None or kind is not None
    title, people, said = split_title(rest, in_group=in_group)
    if people and label and text.lower().startswith(label.lower()) and _names_only(rest):
        # "Opening keynote: Jane Smith": the label is the title.
        title = label[:1].upper() + label[1:]
    return HeadingMeaning(title=unquote(title) or text, people=people, kind=kind or said)


def _names_only(text: str) -> bool:
    bare = _URL.sub("", text).strip(" ,:-–—")
    return bool(names_list(bare, single=True))


_POSSESSIVE = re.compile(
    r"^(?P<who>.+?)['’]s?\s+(?P<label>(?:opening |closing )?keynote|lightning talk|ignite|"
    r"workshop|talk|presentation|session|demo)(?:\s+(?:on|about)\s+|\s*[:\-–—]\s*|$)(?P<title>.*)$",
    re.I,
)
_SEPARATORS = (":", " -- ", " — ", " – ", " - ", " | ")


def split_title(text: str, *, in_group: bool = False) -> tuple[str, list[str], str | None]:
    """(title, speakers, kind said by a possessive "…'s keynote") of a heading's text."""
    urls = [u.strip().strip("()") for u in _URL.findall(text)]
    bare = _URL.sub("", text).strip(" ,:-–—")

    m = _POSSESSIVE.match(bare)
    if m:
        people = names_list(m.group("who"), single=True)
        if people:
            said = _kind_of_label(m.group("label"))
            return (m.group("title").strip() or bare), people, said if said != TALK else None

    for form in (_separator_form, _paren_form, _comma_form, _on_form, _by_form, _paren_people):
        found = form(bare, in_group)
        if found:
            return found[0], found[1], None

    # A heading that only names people: several of them, or one inside a group
    # (an ignite is often noted down by its speaker alone).
    people = names_list(bare, single=in_group)
    if people and (in_group or len(people) > 1):
        if urls and len(people) == 1:
            people = [person(people[0], urls[0])]
        return _without_affiliations(bare), people, None
    return text, [], None


def _without_affiliations(text: str) -> str:
    return re.sub(r"\s*\([^()]*\)", "", text).strip()


def _paren_form(text: str, in_group: bool):
    """ "Name (affiliation), Title", "Name (@handle) title"."""
    m = re.match(
        r"^(?P<who>[^,:()]+?)\s*\((?P<aff>[^()]*)\)(?P<sep>\s*(?:[,:|]|\s[-–—]{1,2})\s*|\s+)"
        r"(?P<title>.+)$",
        text,
    )
    if not m:
        return None
    who, aff = m.group("who"), m.group("aff")
    people = names_list(who, single=in_group or is_handle(aff))
    if not people:
        return None
    return m.group("title").strip(), [person(p, aff) for p in people]


def _separator_form(text: str, in_group: bool):
    """ "Name: Title", "Name - Title", "Name -- Title" — and "Title: Name", "Title - Name"."""
    found = [(text.find(sep), sep) for sep in _SEPARATORS if sep in text]
    if not found:
        return None
    index, sep = min(found)
    left, right = text[:index].strip(), text[index + len(sep) :].strip()
    if not left or not right:
        return None
    people = names_list(left, single=in_group and sep == ":")
    if people:
        return right, people
    people = names_list(right)
    if people and not names_list(left, single=True):
        return left, people
    return None


def _split_top_commas(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [p for p in parts if p]


def _comma_form(text: str, in_group: bool):
    """ "Name, Title", "Ann & Bob, Title", "Name, Employer, Title", "Name, Employer"."""
    parts = _split_top_commas(text)
    if len(parts) < 2:
        return None
    people = names_list(parts[0], single=in_group)
    if not people:
        return None
    rest = parts[1:]
    if len(rest) >= 2 and is_org(rest[0]) and len(people) == 1 and "(" not in parts[0]:
        return ", ".join(rest[1:]), [person(people[0], rest[0])]
    if len(rest) == 1 and is_org(rest[0]) and len(people) == 1 and "(" not in parts[0]:
        # "Name, Employer": the heading names no title; the person's name will do.
        return people[0], [person(people[0], rest[0])]
    if all(names_list(p) for p in rest):
        return None  # only names: handled as a list of people
    return ", ".join(rest), people


def _on_form(text: str, in_group: bool):
    m = re.match(r"^(?P<who>.+?)\s+on\s+(?P<title>.+)$", text)
    if m:
        people = names_list(m.group("who"))
        if people:
            return m.group("title").strip(), people
    return None


def _by_form(text: str, in_group: bool):
    m = re.match(r"^(?P<title>.+?),?\s+by\s+(?P<who>.+)$", text)
    if m:
        people = names_list(m.group("who"))
        if people:
            return m.group("title").strip(), people
    return None


def _paren_people(text: str, in_group: bool):
    m = re.match(r"^(?P<title>.+?)\s*\((?P<who>[^()]+)\)$", text)
    if m:
        people = names_list(m.group("who"))
        if people and not names_list(m.group("title"), single=True):
            return m.group("title").strip(), people
    return None


def _split_sponsor(text: str) -> tuple[str, list[str]]:
    """ "A note from the sponsors: Simon Maple, Zero Turnaround"."""
    head, sep, who = text.partition(":")
    if not sep or not who.strip():
        return text, []
    who = who.strip()
    m = re.match(r"^(?P<name>[^,()]+?)\s*(?:,\s*(?P<org>.+)|\((?P<paren>[^()]+)\))$", who)
    if m and (is_person(m.group("name")) or is_org(m.group("name"))):
        org = m.group("org") or m.group("paren")
        return head.strip(), [person(m.group("name"), org)]
    return head.strip(), [who]
