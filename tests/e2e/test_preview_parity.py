"""The editor's live preview renders like the server: the same HTML, once parsed, for the
same Markdown (notes/markdown_rules.json is the one allow-list both read).

The server side is `render_markdown` (markdown-it-py + nh3); the browser side is the
built bundle's renderer (markdown-it + DOMPurify, static/src/markdown.js), run in
Debian's chromium on an editor page. Both outputs are parsed by the same browser and
compared as trees (elements, sorted attributes, text), since two sanitizers serialize
the same tree differently (`disabled=""` or `disabled`).
"""

import pytest
from playwright.sync_api import expect

from notes.rendering import TOO_COSTLY_HTML, render_markdown
from tests.sessions.test_hostile_input import HOSTILE

from .contract_server import ContractServer, static_pages
from .test_editor_bundle import STATIC, note_page

pytestmark = pytest.mark.e2e

FIXTURES = STATIC.parent / "tests" / "fixtures"

SAMPLES = [
    "# Title\n\nA paragraph with **bold**, *italic*, `code` and ~~struck~~ text.",
    "- [ ] call the venue\n- [x] book the room\n- [X] upper case\n- [y] not a task\n- [ ]\n",
    "1. [ ] first\n2. [x] second\n\n* [ ] star bullet\n+ [ ]no space is no task",
    "- [ ] a\n  - [x] nested\n    - [ ] deeper\n\n> - [ ] quoted task\n",
    "- - [ ] two items on one line\n- \n  [ ] item text on the next line",
    "[x]: https://example.org\n\n- [x] a reference, not a task\n",
    "- \\[ ] an escaped bracket, not a task\n- [ ] \\[x] a task",
    "Decision: we meet again\nOutcome: a **mailing list**\n\n- Decision: in a list",
    "| a | b |\n|:--|--:|\n| [ ] | `x` |\n| 1 | 2 |",
    '[link](https://example.org "title") <https://auto.example> <mail@example.org>',
    "[rel](/events/x/) [frag](#L3) [q](?a=1&b=2) [proto](//cdn.example/x)",
    "[ftp](ftp://example.org/f) [tel](tel:+331234) [odd](foo:bar) [up](HTTPS://EXAMPLE.ORG)",
    '![alt text](https://example.org/a.png "t") ![data](data:image/png;base64,AAAA)',
    "[unicode](https://exämple.org/ü?q=é) [spaces](<https://example.org/a b>)",
    "Entities: &amp; &lt; &copy; &#65; &#x1F600; &nbsp; &bogus;",
    "Line one  \nhard break\\\nbackslash break",
    "```python\ndef f():\n    return '<b>'\n```\n\n    indented code\n",
    "<b>raw html</b> <!-- comment --> <div>block</div>\n\n<script>alert(1)</script>",
    "***\n---\n___\n\nSetext\n======\n\nSecond\n------",
    "*a **b** c* _d_ __e__ ***f***",
    "> quote\n>> nested\n> - list in quote\n\ncontinued lazy\n",
    "😀 emoji, 中文, עברית, e\u0301 combining",
    "1) paren list\n2) second\n\n3. starts at three\n4. four",
    "Text with a footnote-like [^1] and [brackets] and [a][b]\n\n[b]: /target",
    "\n\n   \n",
    "- a\n\n- b (loose list)\n\n  second paragraph",
    "[" * 50 + "deep" + "]" * 50,
    ">" * 30 + " deep quotes",
    "- " * 30 + "deep list",
    "*" * 40 + "x" + "*" * 40,
    "- [ ] " + "x" * 3000,
    "- " + "[" * 500_000,  # over the cost budget: the notice, on both sides
    *HOSTILE,
    *[f"- [ ] {payload}\n\nDecision: {payload}" for payload in HOSTILE[:20]],
]

# A node tree: ["#text", text] or [tag, [[name, value], ...], children...].
NORMALIZE = """(html) => {
  const template = document.createElement("template");
  template.innerHTML = html;
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return ["#text", node.data];
    if (node.nodeType !== Node.ELEMENT_NODE) return ["#other", node.nodeType];
    const attrs = [...node.attributes].map((a) => [a.name, a.value]).sort();
    const children = [];
    for (const child of node.childNodes) {
      const tree = walk(child);
      const last = children[children.length - 1];
      if (tree[0] === "#text" && last && last[0] === "#text") last[1] += tree[1];
      else children.push(tree);
    }
    return [node.nodeName.toLowerCase(), attrs, ...children];
  };
  return [...template.content.childNodes].map(walk);
}"""

RENDER_ALL = """([samples, lines]) => {
  const { renderMarkdown } = document.getElementById("note-editor").confnotes;
  return samples.map((text) => renderMarkdown(text, { lines }));
}"""


@pytest.fixture(scope="module")
def editor_page(browser):
    contract = ContractServer(static_pages(STATIC, {"/notes/1/": note_page}))
    contract.start()
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{contract.port}/notes/1/?name=Parity")
    expect(page.locator("#note-editor")).to_have_attribute("data-ready", "true")
    yield page
    context.close()
    contract.close()


def test_the_samples_cover_tasks_anchors_urls_the_hostile_list_and_the_budget():
    rendered = [render_markdown(text, lines=True) for text in SAMPLES]

    assert sum('<input type="checkbox"' in html for html in rendered) >= 8
    assert sum(' id="L' in html for html in rendered) > 40
    assert TOO_COSTLY_HTML in rendered
    assert len(SAMPLES) > 100


@pytest.mark.parametrize("lines", [True, False], ids=["with-line-anchors", "plain"])
def test_preview_renders_every_sample_like_the_server(editor_page, lines):
    rich = (FIXTURES / "rich-notes.md").read_text(encoding="utf-8")
    samples = [*SAMPLES, rich]
    server = [render_markdown(text, lines=lines) for text in samples]

    client = editor_page.evaluate(RENDER_ALL, [samples, lines])

    differences = [
        (text[:80], server_html[:300], client_html[:300])
        for text, server_html, client_html in zip(samples, server, client, strict=True)
        if editor_page.evaluate(NORMALIZE, server_html)
        != editor_page.evaluate(NORMALIZE, client_html)
    ]
    assert differences == []
    # The comparison sees what matters: attributes, text, structure.
    links = next(n for n, text in enumerate(SAMPLES) if text.startswith("[link]"))
    assert client[links].count('rel="noopener noreferrer nofollow"') == 3
    for a, b in [("<p>a</p>", "<p>b</p>"), ("<a>x</a>", '<a rel="x">x</a>'), ("<i>x</i>", "x")]:
        assert editor_page.evaluate(NORMALIZE, a) != editor_page.evaluate(NORMALIZE, b)
