from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def authorship_spans(authorship) -> SafeString:
    """The text of a `notes.selectors.Authorship`, each author's part in a span with their
    colour's class and their name as its title.

    Written in Python rather than a template loop: a long note written by many people is
    thousands of parts, and the template engine spends ~20 µs per value it prints.
    Every value is escaped (`html.escape`, quotes included, as Django's `escape`).
    """
    out = []
    for author, text in authorship.runs:
        if author is None:
            out.append(
                f'<span class="author author--unknown" title="Not recorded">{escape(text)}</span>'
            )
        else:
            out.append(
                f'<span class="author author--{author.colour:d}" title="{escape(author.name)}">'
                f"{escape(text)}</span>"
            )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
