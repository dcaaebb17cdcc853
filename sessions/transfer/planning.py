"""What a repository of notes means for an event: its items, its description, what is skipped.

Pure functions over `sources.Repository` and `notes.outline`, no database. Every
non-empty line of every readable file ends up in exactly one place: an item's
note, the event description, or the skipped list — and the plan says which.

One file, by its shape (no flags needed):

- no heading: one item, titled after the file's name (or its front matter);
- one top heading: one item titled by it; its sub-headings are parts of its note
  ("one file per talk") — unless the heading titles the whole document: its
  sub-headings are days or groups, or read as talks, or it reads like a
  collection ("My notes from …"), or it is a repository's README. Then it names
  the event, and its text is the event description;
- several top headings: one item each, or a day ("Day 2") or a group
  ("Ignites", "Open spaces, day 2") of items.

Lines before a file's first heading are the start of its first item's note.

In a repository: a README (or index) alone in its folder is that folder's item,
titled by its heading or the folder's name; the README at the root describes
the event, and its sections about the repository (license, contributing…) are
skipped. Folder and file names give the day and the kind (see `paths`).

The kind of an item: `kind=` for all, else what its heading says ("Keynote:"),
else its group's, else its folders' and file's, else a talk.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath

from django.utils.text import slugify

from notes import outline as outlines
from notes.outline import Outline, OutlineError, Section, tidy

from . import headings
from .headings import OPEN_SPACE, day_of_heading, group_of_heading, read_heading
from .paths import NameMeaning, humanize, is_index_name, natural_key, path_meaning
from .sources import FileProblem, Repository, SourceFile
from .words import META_SECTION_PHRASES, META_SECTIONS, NOTE_SECTIONS


@dataclass
class PlannedItem:
    """One talk or open space the repository describes."""

    kind: str  # a Talk.Kind value, or OPEN_SPACE
    title: str
    people: list[str]  # speakers of a talk, the host of an open space
    markdown: str
    file: str
    line: int  # where its heading (or text) starts
    end_line: int = 0
    day: int | None = None  # 1 = the event's first day
    date: date | None = None  # an explicit date (day heading, folder name, properties)
    properties: dict[str, str] = field(default_factory=dict)
    anchors: set[str] = field(default_factory=set)  # slugs a link's "#…" may name

    @property
    def is_open_space(self) -> bool:
        return self.kind == OPEN_SPACE


@dataclass
class TextPart:
    """Text that is not an item's note: event description, or skipped."""

    file: str
    line: int
    end_line: int
    title: str  # its heading, or what it is
    markdown: str
    reason: str = ""


@dataclass
class Plan:
    title: str = ""  # names the event when the import creates it
    title_source: str = ""
    items: list[PlannedItem] = field(default_factory=list)
    description: list[TextPart] = field(default_factory=list)
    skipped: list[TextPart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)  # every file of the repository
    _title_rank: int = 9

    def name_event(self, title: str, *, where: str, rank: int) -> None:
        """The event's name: the root README's title first, then the first document title."""
        title = " ".join(title.split())
        if title and rank < self._title_rank:
            self.title, self.title_source, self._title_rank = title, where, rank


def plan_repository(repository: Repository, *, kind: str | None = None, byline=None) -> Plan:
    """Plan every readable file; unreadable ones are listed in `problems`.

    `byline(properties) -> str | None` gives the line our export writes under an
    item's heading, so that re-importing an export does not add it to the notes.
    """
    plan = Plan(problems=list(repository.problems), paths=repository.all_paths)
    for skipped in repository.skipped:
        plan.skipped.append(TextPart(skipped.path, 0, 0, skipped.path, "", skipped.reason))
    read: list[tuple[SourceFile, Outline]] = []
    for source in repository.files:
        try:
            outline = outlines.parse(source.data, name=source.path)
        except OutlineError as error:
            plan.problems.append(FileProblem(error.name, error.line, error.message))
            continue
        plan.warnings.extend(str(w) for w in outline.warnings)
        read.append((source, outline))

    per_folder = Counter(PurePosixPath(f.path).parent for f in repository.files)
    several = len(repository.files) > 1
    for source, outline in read:
        reader = _FileReader(plan, source, outline, byline=byline)
        if (
            is_index_name(source.path)
            and not source.at_root
            and per_folder[PurePosixPath(source.path).parent] == 1
        ):
            reader.folder_item()
        elif is_index_name(source.path) and source.at_root and several:
            reader.repository_readme()
        else:
            reader.notes_file()
    plan.skipped.sort(key=lambda part: (natural_key(part.file), part.line))
    if kind:
        for item in plan.items:
            item.kind = kind
            if kind == OPEN_SPACE:
                item.people = item.people[:1]
    return plan


# ---------------------------------------------------------------- headings' roles


def is_meta(title: str) -> bool:
    """A section about the repository or the document, not about the event."""
    text = re.sub(r"[^\w&;' -]", "", title.lower()).strip()
    return text in META_SECTIONS or any(text == p for p in META_SECTION_PHRASES)


_COLLECTION = re.compile(
    r"^(?:my\s+|our\s+)?notes\s+(?:from|of|at|for|taken at)\b|\bnotes$|\b(?:19|20)\d{2}\b"
    r"|\b(?:conference|conf|summit|meetup|unconference|devopsdays|camp|festival|symposium)\b",
    re.I,
)


def _talk_like(section: Section) -> bool:
    """A heading that names an item, a day or a group by itself."""
    if section.properties.get("kind") or day_of_heading(section.title):
        return True
    if section.children and group_of_heading(section.title):
        return True
    meaning = read_heading(section.title)
    return bool(meaning.people or meaning.kind)


def _note_section(section: Section) -> bool:
    return section.title.lower().strip(" :") in NOTE_SECTIONS


def titles_document(section: Section, *, readme: bool) -> bool:
    """Whether a file's only top heading titles the document rather than one item."""
    children = [c for c in section.children if not is_meta(c.title)]
    if any(
        c.properties.get("kind")
        or day_of_heading(c.title)
        or (c.children and group_of_heading(c.title))
        for c in section.children
    ):
        return True
    own = read_heading(section.title)
    if own.people or own.kind:
        return False
    if _COLLECTION.search(section.title):
        return True
    talks = sum(1 for c in children if _talk_like(c))
    if talks >= 2 and talks * 2 >= len(children):
        return True
    if children and all(_note_section(c) for c in children):
        return False
    return readme


# ---------------------------------------------------------------- one file


class _Days:
    """The day items are on: set by folder names, then by day headings."""

    def __init__(self, where: NameMeaning) -> None:
        self.day = where.day
        self.date = where.date
        self.from_path = bool(where.day or where.date)
        self.first_heading_index: int | None = None

    def set(self, day: tuple[int | None, date | None], index: int) -> None:
        if self.first_heading_index is None:
            self.first_heading_index = index
        self.day, self.date = day


class _FileReader:
    def __init__(self, plan: Plan, source: SourceFile, outline: Outline, *, byline) -> None:
        self.plan = plan
        self.source = source
        self.outline = outline
        self.byline = byline
        self.where = path_meaning(source.folders, source.stem)
        self.days = _Days(self.where)
        self.first_item = len(plan.items)
        self.readme = is_index_name(source.path)

    # --- the three roles of a file -------------------------------------------

    def notes_file(self) -> None:
        outline = self.outline
        top = outline.sections
        if not top:
            self._whole_file_item(self._file_title())
            return
        if outline.title:
            # Org's #+TITLE names the document; the text under it describes it.
            self._name_event(outline.title, line=1)
            self._describe(
                outline.preamble,
                title=outline.title,
                line=outline.preamble_line,
                reason="the document's title (#+TITLE) names the event; its text describes it",
            )
            self._document_sections(top)
        elif len(top) == 1 and top[0].children and titles_document(top[0], readme=self.readme):
            self._document_title(top[0])
            self._document_sections(top[0].children)
            self._preamble_to_first_item()
        elif len(top) == 1:
            self._add(self._classify(top[0], group_kind=self.where.kind))
            self._preamble_to_first_item()
        else:
            self._document_sections(top)
            self._preamble_to_first_item()
        self._days_before_first_day_heading()

    def folder_item(self) -> None:
        top = self.outline.sections
        folder = PurePosixPath(self.source.path).parent.name
        if len(top) == 1 and not self.outline.title:
            self._add(self._classify(top[0], group_kind=self.where.kind))
            self._preamble_to_first_item()
        else:
            title = self.outline.title or self.outline.front_matter.get("title") or ""
            self._whole_file_item(title or humanize(folder) or folder)

    def repository_readme(self) -> None:
        outline = self.outline
        top = outline.sections
        self._describe(
            outline.preamble,
            title="README",
            line=outline.preamble_line,
            reason="the repository's README describes the event",
        )
        if outline.title:
            self._name_event(outline.title, line=1, rank=0)
            sections = top
        elif len(top) == 1:
            self._document_title(top[0], rank=0)
            sections = top[0].children
        else:
            sections = top
        for section in sections:
            if is_meta(section.title):
                self._skip(section, "a README section about the repository")
            elif _talk_like(section):
                self._top_level(section)
            else:
                self._describe(
                    section.subtree_lines(base=section.level - 1),
                    title=section.title,
                    line=section.line,
                    end_line=section.end_line,
                    reason="a README section about the event, not a talk",
                )

    # --- parts ----------------------------------------------------------------

    def _file_title(self) -> str:
        front = self.outline.front_matter.get("title")
        if front:
            return front
        stem = self.source.stem
        if is_index_name(self.source.path) and self.source.folders:
            stem = self.source.folders[-1]
        return humanize(stem) or stem

    def _whole_file_item(self, title: str) -> None:
        meaning = read_heading(title, group_kind=self.where.kind)
        front_date = _front_matter_date(self.outline.front_matter.get("date"))
        item = PlannedItem(
            kind=meaning.kind or self.where.kind or headings.TALK,
            title=meaning.title,
            people=meaning.people,
            markdown=self.outline.note(),
            file=self.source.path,
            line=self.outline.preamble_line,
            end_line=self.outline.line_count,
            day=self.days.day,
            date=self.days.date or front_date,
        )
        item.anchors = {slugify(s.title) for s in self.outline.walk()}
        self._add(item)
        self._front_matter_skipped()

    def _front_matter_skipped(self) -> None:
        span = self.outline.front_matter_lines
        if span:
            self.plan.skipped.append(
                TextPart(self.source.path, span[0], span[1], "front matter", "", "front matter")
            )

    def _name_event(self, title: str, *, line: int, rank: int = 1) -> None:
        self.plan.name_event(title, where=f"{self.source.path}, line {line}", rank=rank)

    def _document_title(self, section: Section, *, rank: int = 1) -> None:
        self._name_event(section.title, line=section.line, rank=rank)
        self._describe(
            section.body,
            title=section.title,
            line=section.line,
            reason="this heading titles the whole document: it names the event, not a talk",
        )

    def _describe(
        self, lines: list[str], *, title: str, line: int, reason: str, end_line: int = 0
    ) -> None:
        text = tidy(lines)
        if text:
            self.plan.description.append(
                TextPart(self.source.path, line, end_line or line + len(lines), title, text, reason)
            )

    def _skip(self, section: Section, reason: str) -> None:
        self.plan.skipped.append(
            TextPart(
                self.source.path,
                section.line,
                section.end_line,
                section.title,
                section.note(),
                reason,
            )
        )

    def _preamble_to_first_item(self) -> None:
        text = tidy(self.outline.preamble)
        self._front_matter_skipped()
        if not text:
            return
        if len(self.plan.items) > self.first_item:
            first = self.plan.items[self.first_item]
            first.markdown = text + ("\n" + first.markdown if first.markdown else "")
            first.line = min(first.line, self.outline.preamble_line)
        else:
            self._describe(
                self.outline.preamble,
                title="",
                line=self.outline.preamble_line,
                reason="text before the file's first heading, in a file with no item",
            )

    def _days_before_first_day_heading(self) -> None:
        # A day heading names the day of what follows; what came before the first
        # one happened on the first day (unless the folder names said otherwise).
        index = self.days.first_heading_index
        if index is None or self.days.from_path:
            return
        for item in self.plan.items[self.first_item : self.first_item + index]:
            if item.day is None and item.date is None and not item.properties:
                item.day = 1

    def _document_sections(self, sections: list[Section]) -> None:
        for section in sections:
            if is_meta(section.title):
                self._skip(section, "a section about the document, not the event")
            else:
                self._top_level(section)

    def _top_level(self, section: Section) -> None:
        title = section.title.strip()
        day = day_of_heading(title)
        relative = len(self.plan.items) - self.first_item
        if day is not None and not section.properties:
            self.days.set(day, relative)
            for child in section.children:
                self._top_level(child)
            if section.has_body:
                self._add(self._plain_item(section, title=title))
            return
        group = group_of_heading(title) if section.children and not section.properties else None
        if group is not None:
            kind, group_day = group
            if group_day is not None:
                self.days.set(group_day, relative)
            if section.has_body:
                self._add(self._plain_item(section, title=title, children=False))
            for child in section.children:
                self._add(self._classify(child, group_kind=kind or self.where.kind))
            return
        self._add(self._classify(section, group_kind=self.where.kind))

    def _add(self, item: PlannedItem) -> None:
        self.plan.items.append(item)

    def _plain_item(self, section: Section, *, title: str, children: bool = True) -> PlannedItem:
        text = section.note() if children else tidy(section.body)
        return self._item(section, kind=headings.OTHER, title=title, people=[], markdown=text)

    def _item(self, section: Section, *, kind, title, people, markdown) -> PlannedItem:
        item = PlannedItem(
            kind=kind,
            title=title,
            people=people,
            markdown=markdown,
            file=self.source.path,
            line=section.line,
            end_line=section.end_line,
            day=self.days.day,
            date=self.days.date,
        )
        item.anchors = {slugify(s.title) for s in _walk(section)}
        return item

    def _classify(self, section: Section, *, group_kind: str | None) -> PlannedItem:
        if section.properties.get("kind"):
            return self._from_properties(section)
        meaning = read_heading(section.title, group_kind=group_kind)
        kind = meaning.kind or group_kind or headings.TALK
        title, people = meaning.title, meaning.people
        target = section
        # "Speakers" over one sub-heading and nothing else: the sub-heading is the title.
        if (
            people
            and headings.names_list(title, single=True)
            and len(section.children) == 1
            and not section.has_body
        ):
            target = section.children[0]
            title = " ".join(target.title.split())
        if kind == OPEN_SPACE:
            people = people[:1]
        item = self._item(target, kind=kind, title=title, people=people, markdown=target.note())
        item.line, item.end_line = section.line, section.end_line
        return item

    def _from_properties(self, section: Section) -> PlannedItem:
        props = section.properties
        body = list(section.body)
        expected = self.byline(props) if self.byline else None
        if expected:
            body = _without_first_line(body, expected)
        lines = body
        for child in section.children:
            lines = lines + child.subtree_lines(base=section.level)
        people_key = "host" if props.get("kind") == OPEN_SPACE else "speakers"
        people = [p.strip() for p in props.get(people_key, "").split(",") if p.strip()]
        item = self._item(
            section,
            kind=props["kind"],
            title=props.get("title") or " ".join(section.title.split()),
            people=people,
            markdown=tidy(lines),
        )
        item.date = _property_date(props)
        item.day = None
        item.properties = dict(props)
        return item


def _walk(section: Section):
    yield section
    for child in section.children:
        yield from _walk(child)


def _without_first_line(lines: list[str], expected: str) -> list[str]:
    """`lines` without their first paragraph when it is exactly `expected`."""
    index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if index is None or lines[index].strip() != expected:
        return lines
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if following.strip():
        return lines
    return lines[index + 1 :]


def _property_date(props: dict[str, str]) -> date | None:
    if props.get("day"):
        try:
            return date.fromisoformat(props["day"])
        except ValueError:
            pass
    if props.get("start"):
        try:
            return datetime.fromisoformat(props["start"]).date()
        except ValueError:
            pass
    return None


def _front_matter_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
