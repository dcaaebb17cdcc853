"""Abuse that used to work, measured as a stranger would try it: each now fails cleanly."""

import html
import re
import time
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from notes.markup import MAX_LIST_DEPTH
from notes.outline import MAX_SECTION_DEPTH, parse
from sessions.models import Event, Talk
from tests.factories import make_event, make_talk, make_user


def organizer_client(event: Event) -> Client:
    user = make_user(username=f"org-{event.pk}")
    event.organizers.add(user)
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("at", ["0001-01-01", "9999-12-31T23:59", "2026-13-45", "tomorrow"])
def test_display_preview_of_an_impossible_moment_is_a_clear_400(client, at):
    event = make_event(start_date=date(2026, 6, 10))

    response = client.get(reverse("sessions:board_display", args=[event.slug]), {"at": at})

    assert response.status_code == 400
    assert (
        "“at” must be a date and time within a year of the event, such as 2026-06-10T14:20."
        in text(response)
    )


@pytest.mark.django_db
def test_display_previews_a_moment_of_the_event(client):
    event = make_event()

    response = client.get(
        reverse("sessions:board_display", args=[event.slug]), {"at": "2026-06-10T14:20"}
    )

    assert response.status_code == 200


def test_a_thousand_nested_org_headings_are_read_without_recursing_past_the_limit():
    document = "".join("*" * (n + 1) + f" Heading {n}\n" for n in range(1000))

    started = time.monotonic()
    outline = parse(document, name="deep.org")
    markdown = outline.sections[0].markdown()

    depth, section = 1, outline.sections[0]
    while section.children:
        depth, section = depth + 1, section.children[0]
    assert (len(outline.sections), depth) == (1, MAX_SECTION_DEPTH)
    assert sum(1 for _ in outline.walk()) == 1000
    assert "Heading 999" in markdown
    assert time.monotonic() - started < 5


def test_a_thousand_nested_org_bullets_are_read_without_recursing_past_the_limit():
    document = "* Talk\n" + "".join("  " * n + f"- bullet {n}\n" for n in range(1000))

    markdown = parse(document, name="deep.org").sections[0].markdown()

    indents = {len(line) - len(line.lstrip()) for line in markdown.splitlines()}
    assert "bullet 999" in markdown
    assert len(indents) == MAX_LIST_DEPTH


@pytest.mark.django_db
def test_web_import_of_deeply_nested_headings_previews_instead_of_failing():
    event = make_event()
    client = organizer_client(event)
    document = "".join("*" * (n + 1) + f" Heading {n}\n" for n in range(1000)).encode()

    response = client.post(
        reverse("sessions:event_import", args=[event.slug]),
        {"files": [SimpleUploadedFile("deep.org", document)]},
    )

    assert response.status_code == 200
    assert "1 would be created" in text(response)


def multipart_with_file_name(name: str) -> tuple[bytes, str]:
    boundary = "confnotesboundary"
    body = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "* Talk\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.django_db
def test_a_thousand_character_file_name_gets_a_page_that_says_why():
    event = make_event()
    client = organizer_client(event)
    body, content_type = multipart_with_file_name("n" * 996 + ".org")

    response = client.generic(
        "POST", reverse("sessions:event_import", args=[event.slug]), body, content_type=content_type
    )

    assert response.status_code == 400
    message = re.search(r'id="bad-request-message">(.*?)</p>', text(response)).group(1)
    assert message == (
        "The upload could not be read. A file name may be too long (keep it under 200 "
        "characters), or the upload was cut off: rename the file and try again."
    )
    assert Talk.objects.count() == 0


@pytest.mark.django_db
def test_web_import_into_an_archived_event_is_refused_and_changes_no_note():
    event = make_event(archived=True)
    talk = make_talk(event=event, title="Keynote", import_key="keynote")
    talk.note.markdown = "- kept"
    talk.note.save()
    client = organizer_client(event)

    page = client.get(reverse("sessions:event_import", args=[event.slug]))
    upload = client.post(
        reverse("sessions:event_import", args=[event.slug]),
        {"files": [SimpleUploadedFile("n.org", b"* Keynote\n- rewritten\n")]},
    )

    talk.note.refresh_from_db()
    assert (page.status_code, upload.status_code) == (403, 403)
    assert (
        "This event is archived: its notes are read-only. Un-archive it in the event "
        "settings to import notes." in text(upload)
    )
    assert talk.note.markdown == "- kept"


@pytest.mark.django_db
def test_an_import_over_the_size_limit_is_refused_with_nothing_stored(settings):
    settings.IMPORT_MAX_BYTES = 1000
    event = make_event()
    client = organizer_client(event)

    files = [SimpleUploadedFile(f"{n}.org", b"* Talk\n" + b"- x\n" * 150) for n in range(2)]
    response = client.post(reverse("sessions:event_import", args=[event.slug]), {"files": files})

    assert response.status_code == 413
    assert (
        "These files add up to 1.2\xa0KB; at most 1000\xa0bytes can be imported at once. "
        "Nothing was imported." in text(response)
    )
    assert Talk.objects.count() == 0


@pytest.mark.django_db
def test_imports_per_organizer_are_limited(settings):
    settings.LIMITS = {**settings.LIMITS, "import": "2/10m"}
    event = make_event()
    client = organizer_client(event)

    statuses = [
        client.post(
            reverse("sessions:event_import", args=[event.slug]),
            {"files": [SimpleUploadedFile("n.org", b"* Talk\n")]},
        ).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 429]
