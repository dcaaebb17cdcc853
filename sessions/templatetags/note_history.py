"""The long lists of the history pages (a row and two choices per revision), written
in Python rather than as template loops: Django's template engine spends ~20 µs per
variable it prints, and `format_html` ~10 µs per value, while a note with 200 revisions
prints about 5,000 values; that was most of the page's time. Every value is escaped
(`html.escape`, as Django's `escape` does, quotes included)."""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def revision_rows(rows, urls, can_restore: bool) -> SafeString:
    """The <tr> of each revision (see history.html's table for the columns)."""
    history, diff = escape(urls["history"]), escape(urls["diff"])
    out = []
    for row in rows:
        pk = escape(row.pk)
        changes = (
            f' · <a href="{diff}?from={escape(row.previous)}&amp;to={pk}">Changes</a>'
            if row.previous
            else ""
        )
        restore = (
            f' · <button type="submit" form="restore-form" formaction="{history}{pk}/restore/"'
            f' class="link-button" id="restore-{pk}">Restore</button>'
            if can_restore
            else ""
        )
        out.append(
            f'<tr id="revision-{pk}" class="revision"><td>{escape(row.number)}</td>'
            f'<td><time datetime="{escape(row.iso)}">{escape(row.when)}</time></td>'
            f'<td class="revision__reason">{escape(row.what)}</td>'
            f'<td class="revision__contributors">{escape(row.contributors or "—")}</td>'
            f'<td class="revision__size"><span class="size-added">+{escape(row.added)}</span> '
            f'<span class="size-removed">−{escape(row.removed)}</span></td>'
            f'<td class="revision__actions"><a href="{history}{pk}/">View</a>{changes}'
            f' · <a href="{diff}?from={pk}&amp;to=now">Compare with now</a>{restore}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag
def revision_options(rows, selected: str) -> SafeString:
    """The <option>s of a comparison side: every revision, then "Now"."""
    out = [
        f'<option value="{escape(row.pk)}"{" selected" if row.pk == selected else ""}>'
        f"Revision {escape(row.number)} · {escape(row.short)}</option>"
        for row in rows
    ]
    out.append(f'<option value="now"{" selected" if selected == "now" else ""}>Now</option>')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
