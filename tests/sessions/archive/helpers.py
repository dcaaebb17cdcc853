"""Plain helpers of the browse tests."""

import re

from notes.models import Note, NoteContributor
from sessions.archive.speakers import talk_set_speakers
from sessions.models import Talk
from tests.factories import make_talk


def make_spoken_talk(*, event, speakers: list[str], notes: str = "", **extra) -> Talk:
    """A talk with its speakers linked (as the importer and the admin do) and its notes."""
    talk = make_talk(event=event, **extra)
    talk_set_speakers(talk=talk, names=speakers)
    if notes:
        write_notes(talk.note, notes)
    return talk


def write_notes(note: Note, markdown: str, *, by: str = "") -> None:
    Note.objects.filter(pk=note.pk).update(markdown=markdown)
    note.markdown = markdown
    if by:
        NoteContributor.objects.create(note=note, name=by)


def texts(html: str, pattern: str) -> list[str]:
    """Every match of `pattern`'s first group, in page order, tags inside it removed."""
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(pattern, html, flags=re.S)]


def card_titles(html: str) -> list[str]:
    return texts(html, r'<li class="card event-card"[^>]*>\s*<h3><a href="[^"]+">([^<]+)</a>')
