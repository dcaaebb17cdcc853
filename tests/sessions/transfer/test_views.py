"""The notes downloads and the organizers' import page (upload → preview → confirm)."""

import io
import re
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sessions.models import Event, OpenSpace, Talk
from tests.factories import make_event, make_open_space, make_talk, make_user

from .helpers import database_state, form_fields

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


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _preview(client: Client, event, *uploads, **options):
    return client.post(
        reverse("sessions:event_import", args=[event.slug]), {"files": list(uploads), **options}
    )


def _submit(client: Client, event, preview, *, action: str = "confirm", **changed):
    """Post the preview's form as a browser without JavaScript does, with some fields changed."""
    fields = form_fields(preview.content.decode(), "import-confirm-form")
    fields.update({"action": action, **changed})
    return client.post(reverse("sessions:event_import", args=[event.slug]), fields)


def test_upload_shows_preview_and_changes_nothing(client: Client, event, organizer):
    client.force_login(organizer)
    before = database_state()

    response = _preview(client, event, _upload("n.md", NOTES_MD))

    assert response.status_code == 200
    assert database_state() == before
    result = response.context["result"]
    assert [(i.action, i.kind, i.title, i.people, i.first_lines) for i in result.items] == [
        ("create", "talk", "Engines", ["Ada Lovelace"], ["- a *note*"]),
        ("update", "open-space", "Kanban", [], ["- limit WIP"]),
    ]
    page = response.content.decode()
    assert 'id="import-preview"' in page
    assert "Ops Days: 1 would be created, 1 updated, 0 unchanged." in page
    assert '<h3 class="import-item__title">Engines</h3>' in page
    assert (
        '<pre class="import-item__note" aria-label="First lines of its notes">- a *note*\n</pre>'
        in page
    )


def test_confirm_imports_the_previewed_files(client: Client, event, organizer):
    client.force_login(organizer)
    preview = _preview(client, event, _upload("n.md", NOTES_MD))

    response = _submit(client, event, preview)

    assert response.status_code == 302
    assert response["Location"] == "/events/ops-days/"
    page = client.get(response["Location"]).content.decode()
    assert "Ops Days: 1 were created, 1 updated, 0 unchanged." in page
    talk = Talk.objects.get(event=event, title="Engines")
    assert (talk.speakers, talk.note.markdown) == ("Ada Lovelace", "- a *note*\n")
    space = OpenSpace.objects.get(event=event)
    assert (space.title, space.host, space.note.markdown) == ("Kanban", "", "- limit WIP\n")
    # The token is spent: confirming twice does nothing more.
    again = _submit(client, event, preview)
    assert again.status_code == 302
    assert Talk.objects.filter(event=event).count() == 2


def test_preview_changes_of_kind_and_speakers_are_imported(client: Client, event, organizer):
    client.force_login(organizer)
    preview = _preview(client, event, _upload("n.md", NOTES_MD))

    updated = _submit(
        client, event, preview, action="preview",
        **{"form-0-kind": "keynote", "form-0-people": "Ada Lovelace, Charles Babbage"},
    )  # fmt: skip
    confirmed = _submit(client, event, updated)

    assert updated.status_code == 200
    assert [(i.kind, i.people) for i in updated.context["result"].items][:1] == [
        (
            "keynote",
            ["Ada Lovelace", "Charles Babbage"],
        )
    ]
    assert confirmed.status_code == 302
    talk = Talk.objects.get(event=event, title="Engines")
    assert (talk.kind, talk.speakers) == ("keynote", "Ada Lovelace, Charles Babbage")


def test_preview_change_to_open_space_makes_an_open_space_hosted_by_the_name(
    client: Client, event, organizer
):
    client.force_login(organizer)
    preview = _preview(client, event, _upload("n.md", NOTES_MD))

    _submit(client, event, preview, **{"form-0-kind": "open-space"})

    space = OpenSpace.objects.get(event=event, title="Engines")
    assert (space.host, space.status, space.note.markdown) == (
        "Ada Lovelace",
        "held",
        "- a *note*\n",
    )
    assert not Talk.objects.filter(event=event, title="Engines").exists()


@pytest.mark.parametrize(
    ("changed", "field", "error"),
    [
        ({"form-0-kind": "banquet"}, "kind", "Select a valid choice. banquet is not one of the available choices."),
        ({"form-0-people": "x" * 301}, "people", "Ensure this value has at most 300 characters (it has 301)."),
        ({"form-1-people": "Ann Lee, Bob Stone"}, "people", "An open space has one host: give one name."),
    ],
)  # fmt: skip
def test_bad_preview_changes_show_field_errors_and_import_nothing(
    client: Client, event, organizer, changed, field, error
):
    client.force_login(organizer)
    preview = _preview(client, event, _upload("n.md", NOTES_MD))
    before = database_state()

    response = _submit(client, event, preview, **changed)

    assert response.status_code == 400
    index = int(next(iter(changed)).split("-")[1])
    assert response.context["item_forms"][index].errors == {field: [error]}
    assert f'<ul class="errorlist" id="id_form-{index}-{field}_error"><li>{error}</li></ul>' in (
        response.content.decode()
    )
    assert database_state() == before


def test_confirm_with_a_forged_token_imports_nothing(client: Client, event, organizer):
    client.force_login(organizer)
    preview = _preview(client, event, _upload("n.md", NOTES_MD))
    before = database_state()

    response = _submit(client, event, preview, token="forged")

    assert response.status_code == 302
    assert database_state() == before


def test_confirm_with_a_different_number_of_items_imports_nothing(client: Client, event, organizer):
    client.force_login(organizer)
    preview = _preview(client, event, _upload("n.md", NOTES_MD))
    before = database_state()

    response = _submit(client, event, preview, **{"form-TOTAL_FORMS": "1"})

    assert (response.status_code, response["Location"]) == (302, "/events/ops-days/import/")
    assert database_state() == before


def test_confirm_without_csrf_token_is_refused(event, organizer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(organizer)
    page = client.get(reverse("sessions:event_import", args=[event.slug]))
    upload = form_fields(page.content.decode(), "import-form")
    preview = client.post(
        reverse("sessions:event_import", args=[event.slug]),
        {**upload, "files": _upload("n.md", NOTES_MD)},
    )
    fields = form_fields(preview.content.decode(), "import-confirm-form")
    before = database_state()

    refused = client.post(
        reverse("sessions:event_import", args=[event.slug]),
        {k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"} | {"action": "confirm"},
    )

    assert preview.status_code == 200
    assert refused.status_code == 403
    assert database_state() == before


BAD_UPLOADS = [
    ("bad.org", b"* Talk\n  - ok\n\x00binary\n", "bad.org, line 3:</strong> this is a binary file, not text (byte 0x00)"),
    ("latin.md", "# T\n\n- é\n".encode("latin-1"), "latin.md, line 3:</strong> not UTF-8 text (byte 0xe9 at column 3); save the file as UTF-8"),
    ("empty.md", b"", "empty.md, line 1:</strong> the file is empty"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "shown"), BAD_UPLOADS)
def test_bad_upload_shows_file_and_line_and_changes_nothing(
    client: Client, event, organizer, name, data, shown
):
    client.force_login(organizer)
    before = database_state()

    response = _preview(client, event, _upload(name, data))

    assert response.status_code == 400
    assert f"<li><strong>{shown}</li>" in response.content.decode()
    assert "Nothing was imported." in response.content.decode()
    assert database_state() == before


def test_every_bad_file_of_an_upload_is_listed_at_once(client: Client, event, organizer):
    client.force_login(organizer)
    uploads = [_upload(name, data) for name, data, _ in BAD_UPLOADS]

    response = _preview(client, event, _upload("good.md", b"# Fine\n"), *uploads)

    assert response.status_code == 400
    assert [str(p) for p in response.context["problems"]] == [
        "bad.org, line 3: this is a binary file, not text (byte 0x00)",
        "latin.md, line 3: not UTF-8 text (byte 0xe9 at column 3); save the file as UTF-8",
        "empty.md, line 1: the file is empty",
    ]
    assert "<strong>3 files cannot be read.</strong>" in response.content.decode()


def test_skip_bad_upload_previews_the_readable_files_and_lists_the_others(
    client: Client, event, organizer
):
    client.force_login(organizer)

    response = _preview(
        client, event, _upload("good.md", b"# Fine\n\n- ok\n"), _upload("bad.org", b"\x00"),
        skip_bad="on",
    )  # fmt: skip
    confirmed = _submit(client, event, response)

    assert response.status_code == 200
    assert [i.title for i in response.context["result"].items] == ["Fine"]
    assert "<strong>bad.org, line 1:</strong> this is a binary file, not text (byte 0x00)" in (
        response.content.decode()
    )
    assert confirmed.status_code == 302
    assert Talk.objects.get(event=event, title="Fine").note.markdown == "- ok\n"


def test_upload_without_file_is_a_form_error(client: Client, event, organizer):
    client.force_login(organizer)

    response = client.post(reverse("sessions:event_import", args=[event.slug]), {})

    assert response.status_code == 400
    assert response.context["form"].errors == {"files": ["This field is required."]}
    assert Event.objects.count() == 1


# ---------------------------------------------------------------- zip uploads

REPOSITORY = {
    "notes-main/README.md": (
        b"# Ops Days 2026 notes\n\nWhat we wrote down. See [the keynote](day1/keynote.md).\n\n"
        b"## License\n\nCC BY 4.0\n"
    ),
    "notes-main/day1/keynote.md": (
        b"# Keynote: Jane Smith\n\nOpening words.\n\n## Q&A\n\n- why? see [later](../day2/)\n"
        b"- ![diagram](img/flow.png)\n- [gone](missing.md)\n"
    ),
    "notes-main/day2/kanban-for-ops/README.md": b"- limit work in progress\n",
    "notes-main/day2/img.png": b"\x89PNG\r\n\x1a\n\x00\x00",
    "notes-main/.git/config": b"[core]\n",
}


def test_zip_upload_previews_items_description_skipped_and_broken_links(
    client: Client, event, organizer
):
    client.force_login(organizer)

    response = _preview(client, event, _upload("notes.zip", _zip(REPOSITORY)), kind="")

    assert response.status_code == 200
    result = response.context["result"]
    assert [(i.kind, i.title, i.people, i.day, i.file, i.first_lines) for i in result.items] == [
        ("keynote", "Keynote", ["Jane Smith"], date(2026, 6, 10), "day1/keynote.md",
         ["Opening words.", "## Q&A", "- why? see [later](/events/ops-days/)",
          "- ![diagram](img/flow.png)"]),
        ("talk", "Kanban for ops", [], date(2026, 6, 11), "day2/kanban-for-ops/README.md",
         ["- limit work in progress"]),
    ]  # fmt: skip
    assert [(p.file, p.line, p.title, p.reason, p.markdown) for p in result.description] == [
        ("README.md", 1, "Ops Days 2026 notes",
         "this heading titles the whole document: it names the event, not a talk",
         "What we wrote down. See [the keynote](day1/keynote.md).\n"),
    ]  # fmt: skip
    assert [(p.file, p.title, p.reason) for p in result.skipped] == [
        ("day2/img.png", "day2/img.png", "not a notes file (.png)"),
        ("README.md", "License", "a README section about the repository"),
    ]
    assert [(b.file, b.href, b.reason) for b in result.broken_links] == [
        ("day1/keynote.md", "img/flow.png", "no such file in the repository"),
        ("day1/keynote.md", "missing.md", "no such file in the repository"),
    ]
    assert result.ignored == 1
    page = response.content.decode()
    for block in ("import-description", "import-skipped", "import-links"):
        assert f'id="{block}"' in page


def test_zip_upload_with_kind_for_every_item(client: Client, event, organizer):
    client.force_login(organizer)
    repository = {
        "day1_kubernetes-at-scale/README.md": b"# Kubernetes at scale\n\n- pods\n",
        "day2_on-call/README.md": b"- rotations\n",
    }

    preview = _preview(client, event, _upload("spaces.zip", _zip(repository)), kind="open-space")
    _submit(client, event, preview)

    assert list(
        OpenSpace.objects.filter(event=event, import_key__startswith="open-space:")
        .order_by("position")
        .values_list("title", "day", "note__markdown")
    ) == [
        ("Kubernetes at scale", date(2026, 6, 10), "- pods\n"),
        ("On call", date(2026, 6, 11), "- rotations\n"),
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"PK\x03\x04 not really a zip", "notes.zip is not a zip archive that can be read"),
        (b"", "notes.zip is not a zip archive that can be read"),
    ],
)
def test_bad_zip_is_a_form_error(client: Client, event, organizer, data, error):
    client.force_login(organizer)
    before = database_state()

    response = _preview(client, event, _upload("notes.zip", data))

    assert response.status_code == 400
    assert response.context["form"].errors == {"files": [error]}
    assert database_state() == before


def test_zip_and_other_files_together_are_refused(client: Client, event, organizer):
    client.force_login(organizer)

    response = _preview(
        client, event, _upload("notes.zip", _zip({"a.md": b"# A\n"})), _upload("b.md", b"# B\n")
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "files": ["Upload a .zip on its own, or notes files without one."]
    }


def test_import_page_has_no_inline_script_or_style(client: Client, event, organizer):
    client.force_login(organizer)

    pages = [
        client.get(reverse("sessions:event_import", args=[event.slug])).content.decode(),
        _preview(client, event, _upload("n.md", NOTES_MD)).content.decode(),
    ]

    for page in pages:
        assert "<style" not in page
        assert " style=" not in page
        assert re.findall(r"<script[^>]*>", page) == [
            '<script src="/static/js/htmx-2.0.11.min.js" defer>'
        ]


def test_preview_of_hundreds_of_items_can_be_confirmed(client: Client, event, organizer):
    client.force_login(organizer)
    notes = "".join(f"# Talk {n}\n\n- note {n}\n\n" for n in range(600)).encode()

    preview = _preview(client, event, _upload("many.md", notes))
    confirmed = _submit(client, event, preview)

    assert preview.status_code == 200
    assert confirmed.status_code == 302
    assert Talk.objects.filter(event=event, title__startswith="Talk ").count() == 600
