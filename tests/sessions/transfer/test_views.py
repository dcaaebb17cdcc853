"""The notes downloads and the organizers' import page (upload → preview → confirm)."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sessions.models import Event, OpenSpace, Talk
from tests.factories import make_event, make_open_space, make_talk, make_user

from .helpers import database_state

pytestmark = pytest.mark.django_db

NOTES_MD = b"# Ada Lovelace: Engines\n\n- a *note*\n\n# Open space: Kanban\n\n- limit WIP\n"


@pytest.fixture
def event():
    event = make_event(name="Ops Days", slug="ops-days", start_date=date(2026, 6, 10))
    talk = make_talk(event=event, title="Keeping state", speakers="Ada Lovelace")
    talk.note.markdown = "- hello\n"
    talk.note.save()
    make_open_space(event=event, title="Kanban", host="Linus")
    return event


@pytest.fixture
def organizer(event):
    user = make_user(username="orga")
    event.organizers.add(user)
    return user


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# ---------------------------------------------------------------- downloads


def test_event_notes_md_download(client: Client, event):
    response = client.get(reverse("sessions:event_notes_md", args=[event.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ops-days-notes.md"'
    body = response.content.decode()
    assert body.startswith("# Ops Days\n\n")
    assert "### Ada Lovelace: Keeping state\n" in body or "## Ada Lovelace: Keeping state\n" in body
    assert "- hello\n" in body


def test_event_notes_org_download(client: Client, event):
    response = client.get(f"/events/{event.slug}/notes.org")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/org; charset=utf-8"
    assert response.content.decode().startswith(
        "#+TITLE: Ops Days\n\n* Ada Lovelace: Keeping state\n"
    )


def test_event_notes_zip_download(client: Client, event):
    response = client.get(f"/events/{event.slug}/notes.zip")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = sorted(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert names == [
        "ops-days/index.md",
        "ops-days/undated-keeping-state.md",
        "ops-days/undated-open-space-kanban.md",
    ]


def test_single_item_downloads(client: Client, event):
    talk = Talk.objects.get(event=event)
    space = OpenSpace.objects.get(event=event)

    talk_response = client.get(reverse("sessions:talk_notes_md", args=[event.slug, talk.slug]))
    space_response = client.get(
        reverse("sessions:open_space_notes_md", args=[event.slug, space.pk])
    )

    assert talk_response["Content-Disposition"] == 'attachment; filename="keeping-state.md"'
    assert talk_response.content.decode().startswith("# Ada Lovelace: Keeping state\n")
    assert talk_response.content.decode().endswith("*Talk*\n\n- hello\n")
    assert space_response.content.decode().startswith("# Open space: Kanban\n")


def test_item_pages_link_their_download(client: Client, event):
    talk = Talk.objects.get(event=event)

    page = client.get(talk.get_absolute_url()).content.decode()

    assert f'href="/events/ops-days/talks/{talk.slug}/notes.md"' in page


def test_unknown_event_download_is_404(client: Client):
    assert client.get("/events/nope/notes.md").status_code == 404


# ---------------------------------------------------------------- import page: who


def test_import_page_anonymous_is_sent_to_sign_in(client: Client, event):
    response = client.get(reverse("sessions:event_import", args=[event.slug]))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/events/ops-days/import/"


def test_import_page_non_organizer_gets_403_and_changes_nothing(client: Client, event):
    client.force_login(make_user(username="visitor"))
    before = database_state()

    get = client.get(reverse("sessions:event_import", args=[event.slug]))
    post = client.post(
        reverse("sessions:event_import", args=[event.slug]), {"files": _upload("n.md", NOTES_MD)}
    )

    assert (get.status_code, post.status_code) == (403, 403)
    assert database_state() == before


def test_event_page_shows_import_link_to_organizers_only(client: Client, event, organizer):
    assert 'id="import-notes"' not in client.get(event.get_absolute_url()).content.decode()

    client.force_login(organizer)

    assert 'id="import-notes"' in client.get(event.get_absolute_url()).content.decode()


def test_staff_may_not_import_unless_organizers_superusers_may(client: Client, event):
    staff = Client()
    staff.force_login(make_user(username="staff", is_staff=True))
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))

    page = reverse("sessions:event_import", args=[event.slug])
    assert (staff.get(page).status_code, client.get(page).status_code) == (403, 200)
    assert 'id="import-notes"' not in staff.get(event.get_absolute_url()).content.decode()
    assert 'id="import-notes"' in client.get(event.get_absolute_url()).content.decode()


def test_import_post_without_csrf_token_is_refused(event, organizer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(organizer)
    before = database_state()

    response = client.post(
        reverse("sessions:event_import", args=[event.slug]), {"files": _upload("n.md", NOTES_MD)}
    )

    assert response.status_code == 403
    assert database_state() == before


# ---------------------------------------------------------------- import page: flow


def test_upload_shows_preview_and_changes_nothing(client: Client, event, organizer):
    client.force_login(organizer)
    before = database_state()

    response = client.post(
        reverse("sessions:event_import", args=[event.slug]), {"files": _upload("n.md", NOTES_MD)}
    )

    assert response.status_code == 200
    assert database_state() == before
    result = response.context["result"]
    assert [(i.action, i.kind, i.title, i.people) for i in result.items] == [
        ("create", "talk", "Engines", ["Ada Lovelace"]),
        ("update", "open-space", "Kanban", []),
    ]
    page = response.content.decode()
    assert 'id="import-preview"' in page
    assert "Ops Days: 1 would be created, 1 updated, 0 unchanged." in page


def test_confirm_imports_the_previewed_files(client: Client, event, organizer):
    client.force_login(organizer)
    url = reverse("sessions:event_import", args=[event.slug])
    preview = client.post(url, {"files": _upload("n.md", NOTES_MD)})
    token = preview.context["confirm"]["token"].value()

    response = client.post(url, {"token": token}, follow=True)

    assert response.redirect_chain == [("/events/ops-days/", 302)]
    assert "Ops Days: 1 were created, 1 updated, 0 unchanged." in response.content.decode()
    talk = Talk.objects.get(event=event, title="Engines")
    assert (talk.speakers, talk.note.markdown) == ("Ada Lovelace", "- a *note*\n")
    space = OpenSpace.objects.get(event=event)
    assert (space.title, space.host, space.note.markdown) == ("Kanban", "", "- limit WIP\n")
    # The token is spent: confirming twice does nothing more.
    again = client.post(url, {"token": token})
    assert again.status_code == 302
    assert Talk.objects.filter(event=event).count() == 2


def test_confirm_with_a_forged_token_imports_nothing(client: Client, event, organizer):
    client.force_login(organizer)
    url = reverse("sessions:event_import", args=[event.slug])
    client.post(url, {"files": _upload("n.md", NOTES_MD)})
    before = database_state()

    response = client.post(url, {"token": "forged"})

    assert response.status_code == 302
    assert database_state() == before


@pytest.mark.parametrize(
    ("name", "data", "shown"),
    [
        (
            "bad.org",
            b"* Talk\n  - ok\n\x00binary\n",
            "bad.org, line 3:</strong> this is a binary file",
        ),
        ("latin.md", "# T\n\n- é\n".encode("latin-1"), "latin.md, line 3:</strong> not UTF-8"),
        ("empty.md", b"", "empty.md, line 1:</strong> the file is empty"),
        ("prose.md", b"no headings here\n", "prose.md, line 1:</strong> no headings found"),
    ],
)
def test_bad_upload_shows_file_and_line_and_changes_nothing(
    client: Client, event, organizer, name, data, shown
):
    client.force_login(organizer)
    before = database_state()

    response = client.post(
        reverse("sessions:event_import", args=[event.slug]), {"files": _upload(name, data)}
    )

    assert response.status_code == 400
    assert shown in response.content.decode()
    assert "Nothing was imported." in response.content.decode()
    assert database_state() == before


def test_upload_without_file_is_a_form_error(client: Client, event, organizer):
    client.force_login(organizer)

    response = client.post(reverse("sessions:event_import", args=[event.slug]), {})

    assert response.status_code == 400
    assert response.context["form"].errors == {"files": ["This field is required."]}
    assert Event.objects.count() == 1
