from django import template
from django.utils.safestring import SafeString, mark_safe

from notes.rendering import markdown_renderable, render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    # render_markdown sanitizes with nh3, so the result is safe to emit as HTML.
    return mark_safe(render_markdown(text or ""))  # noqa: S308


@register.filter(name="markdown_renderable")
def markdown_renderable_filter(text: str) -> bool:
    """Whether `|markdown` renders the text, rather than a too-large notice."""
    return markdown_renderable(text or "")


@register.filter(name="markdown_lines")
def markdown_lines_filter(text: str) -> SafeString:
    """`|markdown` for the one note a page shows: its lines carry anchors (`#L12`)."""
    return mark_safe(render_markdown(text or "", lines=True))  # noqa: S308
