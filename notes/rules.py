"""The Markdown rules both renderers share (notes/markdown_rules.json): the server's
(notes/rendering.py) and the editor's live preview (static/src/markdown.js)."""

import json
from pathlib import Path

RULES_PATH = Path(__file__).with_name("markdown_rules.json")
RULES: dict = json.loads(RULES_PATH.read_text(encoding="utf-8"))
