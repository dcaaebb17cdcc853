"""Read an Org-mode or Markdown document as an outline: a tree of headed sections.

Pure Python, no models. Each section has its heading's title (plain text and
inline Markdown), level, source line, property drawer (Org ``:PROPERTIES:`` or a
Markdown ``<!-- confnotes … -->`` comment right under the heading), its body as
blocks (see `notes.markup`) and its sub-sections. `Section.markdown()` gives the
body and every sub-section as one Markdown note, sub-headings relative to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from . import markup
from .markup import Heading, Html

ORG = "org"
MARKDOWN = "md"
EXTENSIONS = {".org": ORG, ".md": MARKDOWN, ".markdown": MARKDOWN, ".mdown": MARKDOWN}

PROPERTIES_COMMENT = "confnotes"


class OutlineError(ValueError):
    """A document that cannot be read as an outline, with where it went wrong."""

    def __init__(self, message: str, *, name: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.line = line

    def __str__(self) -> str:
        return f"{self.name}, line {self.line}: {self.message}"


@dataclass
class Section:
    title: str  # plain text
    title_markdown: str  # inline Markdown
    level: int
    line: int
    blocks: list = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    children: list[Section] = field(default_factory=list)

    def note_blocks(self) -> list:
        """Body then every sub-section, its heading one level per depth below 1."""
        blocks = list(self.blocks)
        for child in self.children:
            blocks.extend(child._nested_blocks(self.level))
        return blocks

    def _nested_blocks(self, base_level: int) -> list:
        blocks: list = [Heading(self.level - base_level + 1, self.title_markdown)]
        blocks.extend(self.blocks)
        for child in self.children:
            blocks.extend(child._nested_blocks(base_level))
        return blocks

    def markdown(self) -> str:
        return markup.render_markdown(self.note_blocks())

    @property
    def has_body(self) -> bool:
        return bool(self.blocks)


@dataclass
class Outline:
    name: str
    format: str
    title: str  # the document's title ("" if none)
    preamble: list  # blocks before the first heading
    sections: list[Section]
    keywords: dict[str, str] = field(default_factory=dict)

    def walk(self):
        stack = list(reversed(self.sections))
        while stack:
            section = stack.pop()
            yield section
            stack.extend(reversed(section.children))


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
    """Parse a document; raises OutlineError for unreadable, empty or heading-less input."""
    text = decode(data, name=name) if isinstance(data, bytes) else data
    if not text.strip():
        raise OutlineError("the file is empty", name=name, line=1)
    format = format or detect_format(name, text)
    outline = parse_org(text, name=name) if format == ORG else parse_markdown(text, name=name)
    if not outline.sections:
        first = next(n for n, line in enumerate(text.split("\n"), 1) if line.strip())
        expected = "'* Title' (Org)" if format == ORG else "'# Title' (Markdown)"
        raise OutlineError(
            f"no headings found: this is not an outline; expected heading lines like {expected}",
            name=name,
            line=first,
        )
    return outline


# ---------------------------------------------------------------- Org

_ORG_HEADING = re.compile(r"^(?P<stars>\*+)(?:[ \t]+(?P<title>.*?))?[ \t]*$")
_ORG_KEYWORD = re.compile(r"^#\+(?P<key>\w+):[ \t]*(?P<value>.*?)[ \t]*$")
_ORG_PROPERTY = re.compile(r"^[ \t]*:(?P<key>[^:\s]+):[ \t]*(?P<value>.*?)[ \t]*$")
_ORG_PLANNING = re.compile(r"^[ \t]*(?:SCHEDULED|DEADLINE|CLOSED):")


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
            while stack and stack[-1].level >= section.level:
                stack.pop()
            (stack[-1].children if stack else roots).append(section)
            stack.append(section)
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
        section.blocks = markup.org_blocks(section_body)

    return Outline(
        name=name,
        format=ORG,
        title=keywords.get("title", ""),
        preamble=markup.org_blocks(preamble),
        sections=roots,
        keywords=keywords,
    )


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


# ---------------------------------------------------------------- Markdown


def parse_markdown(text: str, *, name: str) -> Outline:
    tokens = markup.markdown_tokens(text)
    headings = [i for i, tok in enumerate(tokens) if tok.type == "heading_open" and tok.level == 0]
    preamble_end = headings[0] if headings else len(tokens)
    preamble = markup.markdown_blocks(tokens[:preamble_end])
    roots: list[Section] = []
    stack: list[Section] = []
    for index, start in enumerate(headings):
        end = headings[index + 1] if index + 1 < len(headings) else len(tokens)
        inline = tokens[start + 1]
        level = int(tokens[start].tag[1:])
        section = Section(
            title=_plain(inline),
            title_markdown=inline.content,
            level=level,
            line=tokens[start].map[0] + 1,
        )
        blocks = markup.markdown_blocks(tokens[start + 3 : end], heading_base=level - 1)
        if blocks and isinstance(blocks[0], Html):
            properties = _md_properties(blocks[0].text)
            if properties is not None:
                section.properties = properties
                blocks = blocks[1:]
        section.blocks = blocks
        while stack and stack[-1].level >= section.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(section)
        stack.append(section)

    title = ""
    # One lone "# Title" over everything else is the document's title, as
    # Org's #+TITLE is (and as our own export writes it).
    if len(roots) == 1 and roots[0].level == 1 and roots[0].children:
        title = roots[0].title
        preamble = preamble + roots[0].blocks
        roots = roots[0].children
    return Outline(name=name, format=MARKDOWN, title=title, preamble=preamble, sections=roots)


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
