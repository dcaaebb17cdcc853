"""Hypothesis strategies: Markdown notes built from what note takers write.

The elements the importer must carry through Org and back byte for byte:
inline code with "*", "/", "=", "~", "+" inside, emphasis, strikethrough, bold
links, link titles, links wrapped over lines, code blocks, tables and "+1" vote
lines — mixed with plain words that look like markup ("5*3", "a_b", "c++").

Notes are laid out the way `notes.markup.render_markdown` writes blocks (the
canonical layout: "-" bullets nested by two spaces, one blank line between
blocks, fenced code); the inline text is free.
"""

from hypothesis import strategies as st

WORDS = [
    "ops", "deploy", "Kubernetes", "on-call", "5*3", "a_b", "snake_case", "x=y", "c++",
    "Dev/Ops", "~approx", "50%", "O'Reilly", "e.g.", "(yes)", "#tag", "semi;colon", "why?",
    "wow!", "it's", "café", "2*4", "q&a", "->", "1/2", "=)", "[sic]",
]  # fmt: skip
CODE_CHARS = "abcxyz*/=~+-_.:() 0123456789"


def _code(*, both_markers: bool):
    text = st.text(CODE_CHARS, min_size=1, max_size=12).map(str.strip).filter(bool)
    if not both_markers:
        text = text.filter(lambda c: not ("=" in c and "~" in c))
    return text.map(lambda c: f"`{c}`")


# "5*3 … 2*4" is emphasis inside words, which Org cannot write (it becomes a snippet).
PLAIN_WORDS = [w for w in WORDS if "*" not in w]


def _words(min_size: int = 1, max_size: int = 3, *, pool=WORDS):
    return st.lists(st.sampled_from(pool), min_size=min_size, max_size=max_size).map(" ".join)


def inline(*, variants: bool = True, wrapped: bool = False):
    """One inline element. `variants` adds the forms Org cannot write natively
    (underscore emphasis, link titles, code with both "=" and "~")."""
    # Inside emphasis or a link; without `variants`, no Org marker character either
    # ("+c++ ops+", "[[u][a [sic]]]" are not something Org can read back).
    pool = [w for w in WORDS if not w.startswith(("#", "~", "=", "->"))]
    if not variants:
        pool = [w for w in pool if not set(w) & set("*/+=~_[]")]
    plain_text = st.lists(st.sampled_from(pool), min_size=1, max_size=3).map(" ".join)
    link_text = plain_text
    if wrapped:
        link_text = st.tuples(plain_text, plain_text).map(lambda p: f"{p[0]}\n{p[1]}")
    url = st.sampled_from(["https://example.org", "https://example.org/a/b", "http://x.test/p?q=1"])
    elements = [
        _words(pool=WORDS if variants else PLAIN_WORDS),
        _code(both_markers=variants),
        plain_text.map(lambda w: f"*{w}*"),
        plain_text.map(lambda w: f"**{w}**"),
        plain_text.map(lambda w: f"~~{w}~~"),
        st.tuples(link_text, url).map(lambda p: f"[{p[0]}]({p[1]})"),
        st.tuples(plain_text, url).map(lambda p: f"**[{p[0]}]({p[1]})**"),
        url.map(lambda u: f"<{u}>"),
    ]
    if variants:
        elements += [
            plain_text.map(lambda w: f"_{w}_"),
            plain_text.map(lambda w: f"__{w}__"),
            st.tuples(plain_text, url, plain_text).map(lambda p: f'[{p[0]}]({p[1]} "{p[2]}")'),
        ]
    return st.one_of(*elements)


def line(*, variants: bool = True, wrapped: bool = False):
    return st.lists(inline(variants=variants, wrapped=wrapped), min_size=1, max_size=5).map(
        " ".join
    )


def paragraph(*, variants: bool = True):
    lines = st.lists(
        st.tuples(st.booleans(), line(variants=variants, wrapped=True)).map(
            lambda p: ("+1 " if p[0] else "") + p[1]
        ),
        min_size=1,
        max_size=3,
    )
    return lines.map("\n".join)


def _list(depth: int, *, ordered: bool, variants: bool):
    def item_lines(number: int, text: str, children: list[str]) -> list[str]:
        marker = f"{number}. " if ordered else "- "
        pad = " " * len(marker)
        out = [marker + text]
        for child in children:
            out.extend(pad + sub for sub in child.split("\n"))
        return out

    child = _list(depth + 1, ordered=False, variants=variants) if depth < 2 else st.nothing()
    item = st.tuples(line(variants=variants), st.lists(child, max_size=1 if depth < 2 else 0))
    return st.lists(item, min_size=1, max_size=3).map(
        lambda items: "\n".join(
            text
            for number, (head, children) in enumerate(items, 1)
            for text in item_lines(number, head, children)
        )
    )


def bullet_list(*, variants: bool = True):
    return st.one_of(
        _list(0, ordered=False, variants=variants), _list(0, ordered=True, variants=variants)
    )


CODE_LINES = ["* star", ",* comma", "#+keyword", "  indented", "x = 1", "print('*')", ""]


def code_block():
    body = st.lists(st.sampled_from(CODE_LINES), min_size=1, max_size=4).filter(
        lambda lines: lines[0] and lines[-1]
    )
    info = st.sampled_from(["", "python", "sh", "yaml title=x.yml"])
    return st.tuples(info, body).map(lambda p: "\n".join([f"```{p[0]}", *p[1], "```"]))


def table(*, variants: bool = True):
    pool = WORDS if variants else PLAIN_WORDS
    cell = st.one_of(
        _words(max_size=2, pool=pool),
        _code(both_markers=variants),
        _words(max_size=1, pool=pool).map(lambda w: f"**{w}**"),
    )
    aligns = st.sampled_from(["---", ":---", ":---:", "---:"])

    def build(columns: int):
        row = st.lists(cell, min_size=columns, max_size=columns).map(
            lambda cells: "| " + " | ".join(cells) + " |"
        )
        align_row = st.lists(aligns, min_size=columns, max_size=columns).map(
            lambda cells: "| " + " | ".join(cells) + " |"
        )
        return st.tuples(row, align_row, st.lists(row, min_size=1, max_size=2)).map(
            lambda p: "\n".join([p[0], p[1], *p[2]])
        )

    return st.integers(2, 3).flatmap(build)


def heading():
    return st.tuples(st.sampled_from(["##", "###"]), _words(max_size=3, pool=PLAIN_WORDS)).map(
        " ".join
    )


@st.composite
def notes(draw, *, variants: bool = True):
    """A note of 1–5 blocks; two lists never touch (CommonMark would merge them)."""
    kinds = st.sampled_from(["paragraph", "list", "code", "table", "heading", "quote"])
    blocks: list[str] = []
    previous = ""
    for kind in draw(st.lists(kinds, min_size=1, max_size=5)):
        if kind == "list" and previous == "list":
            kind = "paragraph"
        if kind == "paragraph":
            blocks.append(draw(paragraph(variants=variants)))
        elif kind == "list":
            blocks.append(draw(bullet_list(variants=variants)))
        elif kind == "code":
            blocks.append(draw(code_block()))
        elif kind == "table":
            blocks.append(draw(table(variants=variants)))
        elif kind == "heading":
            blocks.append(draw(heading()))
        else:
            blocks.append("> " + draw(line(variants=variants)))
        previous = kind
    return "\n\n".join(blocks) + "\n"
