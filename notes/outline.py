"""Read an Org-mode or Markdown document as an outline: a tree of headed sections.

Pure Python, no models. Each section has its heading's title (plain text and
inline Markdown), level, source lines, property drawer (Org ``:PROPERTIES:`` or
a Markdown ``<!-- confnotes … -->`` comment right under the heading), its own
text as Markdown lines and its sub-sections. `Section.note()` gives the body
and every sub-section as one Markdown note, sub-headings relative to it.

Markdown keeps its source text: a section's note is its lines as written, only
its sub-headings' levels change, so a note renders exactly as the file does.
Org is converted to canonical Markdown (see `notes.markup`).

Markdown written in a hurry is repaired before it is read (`notes.repairs`:
"#Title", tab-indented bullets, a lone "-" under a bullet, front matter), each
repair reported as an `OutlineWarning` with its line. A document our own export
wrote is CommonMark to the letter: it is not repaired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from . import markup, repairs

ORG = "org"
MARKDOWN = "md"
EXTENSIONS = {
    ".org": ORG,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".mdown": MARKDOWN,
    ".mkd": MARKDOWN,
}

PROPERTIES_COMMENT = "confnotes"

# Sections nest at most this deep; deeper headings become siblings at the deepest level.
# Real notes nest a handful of levels, and the tree is walked recursively: a hostile
# file with a thousand nested headings would otherwise exhaust Python's stack.
MAX_SECTION_DEPTH = 30


class OutlineError(ValueError):
    """A document that cannot be read as an outline, with where it went wrong."""

    def __init__(self, message: str, *, name: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.line = line

    def __str__(self) -> str:
        return f"{self.name}, line {self.line}: {self.message}"


@dataclass(frozen=True)
class OutlineWarning:
    """Something read in a way the writer may not have meant; the reading goes on."""

    name: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.name}, line {self.line}: {self.message}"


@dataclass
class Section:
    title: str  # plain text
    title_markdown: str  # inline Markdown
    level: int
    line: int  # the heading's line in the source
    body: list[str] = field(default_factory=list)  # its own text as Markdown lines
    properties: dict[str, str] = field(default_factory=dict)
    children: list[Section] = field(default_factory=list)
    end_line: int = 0  # the last source line of the section and its sub-sections
    # The heading as written (Markdown: one ATX line or a setext pair), or None
    # when it is written from the title (Org).
    source_heading: list[str] | None = None

    @property
    def has_body(self) -> bool:
        return any(line.strip() for line in self.body)

    def heading_at(self, level: int) -> list[str]:
        """The heading as Markdown lines at `level` (as written when the level is its own)."""
        level = min(level, 6)
        if self.source_heading is None:
            return ["#" * level + " " + self.title_markdown, ""]
        if level == self.level:
            return list(self.source_heading)
        first = self.source_heading[0]
        if len(self.source_heading) == 1:
            return [re.sub(r"^ {0,3}#{1,6}", "#" * level, first, count=1)]
        return ["#" * level + " " + self.title_markdown.replace("\n", " ")]

    def note(self) -> str:
        """Body then every sub-section, its heading one level per depth below 1."""
        lines = list(self.body)
        for child in self.children:
            lines.extend(child.subtree_lines(base=self.level))
        return tidy(lines)

    def subtree_lines(self, *, base: int) -> list[str]:
        """The section as lines of a note whose own level is `base`."""
        lines = self.heading_at(self.level - base + 1) + self.body
        for child in self.children:
            lines.extend(child.subtree_lines(base=base))
        return lines

    # The name the planner and the tests have always used.
    markdown = note


def tidy(lines: list[str]) -> str:
    """Markdown text of `lines` without blank lines around it ("" when blank)."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(line.rstrip() for line in lines[start:end]) + "\n" if end > start else ""


@dataclass
class Outline:
    name: str
    format: str
    title: str  # the document's own title (Org #+TITLE), "" if none
    preamble: list[str]  # Markdown lines before the first heading
    sections: list[Section]
    keywords: dict[str, str] = field(default_factory=dict)
    warnings: list[OutlineWarning] = field(default_factory=list)
    front_matter: dict[str, str] = field(default_factory=dict)
    front_matter_lines: tuple[int, int] | None = None
    preamble_line: int = 1  # first source line of the preamble
    line_count: int = 0

    def walk(self):
        stack = list(reversed(self.sections))
        while stack:
            section = stack.pop()
            yield section
            stack.extend(reversed(section.children))

    def note(self) -> str:
        """The whole document as one note: its top headings become level 2."""
        lines = list(self.preamble)
        top = min((s.level for s in self.sections), default=1)
        for section in self.sections:
            lines.extend(section.subtree_lines(base=top - 1))
        return tidy(lines)


# ---------------------------------------------------------------- decoding

_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def decode(data: bytes, *, name: str) -> str:
    """UTF-8 text of `data` (BOM dropped), or an OutlineError saying where it is not."""
    binary = _BINARY.search(data)
    if binary:
        line = data.count(b"\n", 0, binary.start()) + 1
        raise OutlineError(
            f"this is a binary file, not text (byte 0x{data[binary.start()]:02x})",
            name=name,
            line=line,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise OutlineError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at column {column}); "
            "save the file as UTF-8",
            name=name,
            line=line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_format(name: str, text: str) -> str:
    """From the file name's extension, else from the content."""
    extension = PurePath(name).suffix.lower()
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    if re.search(r"^#\+\w+:", text, re.M):
        return ORG
    if re.search(r"^#{1,6}[ \t]", text, re.M) or re.search(r"^.+\n(?:=+|-+)[ \t]*$", text, re.M):
        return MARKDOWN
    if re.search(r"^\*+[ \t]", text, re.M):
        return ORG
    return MARKDOWN


def parse(data: bytes | str, *, name: str, format: str | None = None) -> Outline:
    """Parse a document; raises OutlineError for unreadable or empty input.

    A document without headings is an outline with no sections: all of it is
    its preamble.
    """
    text = decode(data, name=name) if isinstance(data, bytes) else data
    if not text.strip():
        raise OutlineError("the file is empty", name=name, line=1)
    format = format or detect_format(name, text)
    if format == ORG:
        outline = parse_org(text, name=name)
        if not outline.sections:
            _warn_other_format(outline, text, r"^#{1,6}[ \t]+\S", "'# ' starts a comment in Org")
        return outline
    outline = parse_markdown(text, name=name)
    if not outline.sections:
        _warn_other_format(outline, text, r"^\*+[ \t]+\S", "'* ' starts a bullet in Markdown")
    return outline


def _warn_other_format(outline: Outline, text: str, pattern: str, why: str) -> None:
    m = re.search(pattern, text, re.M)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        outline.warnings.append(
            OutlineWarning(
                outline.name,
                line,
                f"no headings found, but this line looks like one of the other format "
                f"({why}); is the file's extension right?",
            )
        )


def _set_end_lines(sections: list[Section], last_line: int) -> None:
    """Each section ends where the next heading of its level or above starts."""
    flat = []
    stack = list(reversed(sections))
    while stack:
        section = stack.pop()
        flat.append(section)
        stack.extend(reversed(section.children))
    for index, section in enumerate(flat):
        end = last_line
        for later in flat[index + 1 :]:
            if later.level <= section.level:
                end = later.line - 1
                break
        section.end_line = end


# ---------------------------------------------------------------- Org

_ORG_HEADING = re.compile(r"^(?P<stars>\*+)(?:[ \t]+(?P<title>.*?))?[ \t]*$")
_ORG_KEYWORD = re.compile(r"^#\+(?P<key>\w+):[ \t]*(?P<value>.*?)[ \t]*$")
_ORG_PROPERTY = re.compile(r"^[ \t]*:(?P<key>[^:\s]+):[ \t]*(?P<value>.*?)[ \t]*$")
_ORG_PLANNING = re.compile(r"^[ \t]*(?:SCHEDULED|DEADLINE|CLOSED):")


def _markdown_lines(blocks: list) -> list[str]:
    text = markup.render_markdown(blocks)
    return [*text.split("\n")[:-1], ""] if text else []


def parse_org(text: str, *, name: str) -> Outline:
    lines = text.split("\n")
    keywords: dict[str, str] = {}
    preamble: list[str] = []
    roots: list[Section] = []
    stack: list[Section] = []
    body: list[str] = preamble
    pending: list[tuple[Section, list[str]]] = []
    in_block = False

    for number, line in enumerate(lines, 1):
        lowered = line.strip().lower()
        if lowered.startswith("#+begin_"):
            in_block = True
        elif lowered.startswith("#+end_"):
            in_block = False
        heading = None if in_block else _ORG_HEADING.match(line)
        if heading:
            raw_title = heading.group("title") or ""
            section = Section(
                title=raw_title,
                title_markdown=markup.org_inline_to_markdown(raw_title),
                level=len(heading.group("stars")),
                line=number,
            )
            _nest(section, stack=stack, roots=roots)
            body = []
            pending.append((section, body))
            continue
        if not stack:
            keyword = _ORG_KEYWORD.match(line)
            if keyword:
                keywords[keyword.group("key").lower()] = keyword.group("value")
                continue
        body.append(line)

    for section, section_body in pending:
        section_body = _org_take_properties(section, section_body)
        section.body = _markdown_lines(markup.org_blocks(section_body))
    _set_end_lines(roots, len(lines))
    return Outline(
        name=name,
        format=ORG,
        title=keywords.get("title", ""),
        preamble=_markdown_lines(markup.org_blocks(preamble)),
        sections=roots,
        keywords=keywords,
        line_count=len(lines),
    )


def _nest(section: Section, *, stack: list[Section], roots: list[Section]) -> None:
    """Put `section` under the open section of a lower level (`stack`, innermost last)."""
    while stack and stack[-1].level >= section.level:
        stack.pop()
    if len(stack) >= MAX_SECTION_DEPTH:
        stack.pop()  # too deep: a sibling of the deepest section instead of its child
    (stack[-1].children if stack else roots).append(section)
    stack.append(section)


def _org_take_properties(section: Section, body: list[str]) -> list[str]:
    i = 0
    while i < len(body) and _ORG_PLANNING.match(body[i]):
        i += 1
    if i < len(body) and body[i].strip().upper() == ":PROPERTIES:":
        end = i + 1
        while end < len(body) and body[end].strip().upper() != ":END:":
            prop = _ORG_PROPERTY.match(body[end])
            if prop:
                section.properties[prop.group("key").lower()] = prop.group("value")
            end += 1
        return body[:i] + body[end + 1 :]
    return body


def is_own_export(text: str) -> bool:
    """Whether our export wrote this Markdown (it carries item property comments)."""
    return re.search(rf"^<!--[ \t]*{PROPERTIES_COMMENT}[ \t]*$", text, re.M) is not None


# ---------------------------------------------------------------- Markdown


def parse_markdown(text: str, *, name: str) -> Outline:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    source = repairs.Source(lines=lines, origin=list(range(1, len(lines) + 1)))
    front_matter: dict[str, str] = {}
    front_span = None
    if not is_own_export(text):
        front_matter, front_span = repairs.front_matter(source)
        repairs.repair_sloppy_headings(source)
        repairs.repair_tab_lists(source)
    tokens = markup.markdown_tokens("\n".join(source.lines))
    if not is_own_export(text) and repairs.repair_lone_dashes(source, tokens):
        tokens = markup.markdown_tokens("\n".join(source.lines))

    lines, origin = source.lines, source.origin
    headings = [i for i, tok in enumerate(tokens) if tok.type == "heading_open" and tok.level == 0]
    starts = [tokens[i].map[0] for i in headings]
    roots: list[Section] = []
    stack: list[Section] = []
    for index, start in enumerate(headings):
        opening = tokens[start]
        heading_end = opening.map[1]
        body_end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        inline = tokens[start + 1]
        section = Section(
            title=_plain(inline),
            title_markdown=inline.content,
            level=int(opening.tag[1:]),
            line=origin[opening.map[0]],
            source_heading=lines[opening.map[0] : heading_end],
        )
        body_start = heading_end
        following = tokens[start + 3] if start + 3 < len(tokens) else None
        if following is not None and following.type == "html_block" and following.map:
            properties = _md_properties(following.content)
            if properties is not None and following.map[0] == heading_end:
                section.properties = properties
                body_start = following.map[1]
        section.body = lines[body_start:body_end]
        _nest(section, stack=stack, roots=roots)

    preamble_end = starts[0] if starts else len(lines)
    _set_end_lines(roots, origin[-1] if origin else 0)
    return Outline(
        name=name,
        format=MARKDOWN,
        title="",
        preamble=lines[:preamble_end],
        sections=roots,
        warnings=[OutlineWarning(name, line, message) for line, message in source.warnings],
        front_matter=front_matter,
        front_matter_lines=front_span,
        preamble_line=origin[0] if origin else 1,
        line_count=len(text.split("\n")),
    )


_MD_PROPERTIES = re.compile(rf"^<!--[ \t]*{PROPERTIES_COMMENT}[ \t]*\n(?P<body>.*?)-->$", re.S)


def _md_properties(html: str) -> dict[str, str] | None:
    m = _MD_PROPERTIES.match(html.strip())
    if not m:
        return None
    properties = {}
    for line in m.group("body").split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip():
            properties[key.strip().lower()] = value.strip()
    return properties


def markdown_properties_comment(properties: dict[str, str]) -> str:
    lines = [f"{key}: {value}" for key, value in properties.items() if value]
    return "\n".join([f"<!-- {PROPERTIES_COMMENT}", *lines, "-->"])


def _plain(inline) -> str:
    parts = []
    for tok in markup.inline_tokens(inline.content):
        if tok.type in ("text", "code_inline"):
            parts.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif tok.type == "image":
            parts.append(tok.content)
    return "".join(parts).strip()


def shift_headings(markdown: str, *, offset: int) -> str:
    """`markdown` with every top-level heading `offset` levels deeper (or higher),
    the rest of the text as written. Levels stay within 1–6."""
    if not offset or not markdown:
        return markdown
    lines = markdown.split("\n")
    replaced: dict[int, list[str]] = {}
    for i, tok in enumerate(tokens := markup.markdown_tokens(markdown)):
        if tok.type != "heading_open" or tok.level != 0 or not tok.map:
            continue
        level = max(1, min(6, int(tok.tag[1:]) + offset))
        start, end = tok.map
        if end - start == 1 and repairs.ATX.match(lines[start]):
            replaced[start] = [re.sub(r"^ {0,3}#{1,6}", "#" * level, lines[start], count=1)]
        else:
            replaced[start] = ["#" * level + " " + tokens[i + 1].content.replace("\n", " ")]
            for k in range(start + 1, end):
                replaced[k] = []
    out: list[str] = []
    for index, line in enumerate(lines):
        out.extend(replaced.get(index, [line]))
    return "\n".join(out)
