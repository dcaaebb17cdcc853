"""The import_notes and export_notes management commands."""

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sessions.models import Event, Talk

from .transfer.helpers import database_state, row_counts

pytestmark = pytest.mark.django_db

NOTES = "# Ada Lovelace: Engines\n\n- one\n- two\n\n# Ignites\n\n## Linus T.\n\n- git\n"


@pytest.fixture
def notes_file(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(NOTES)
    return path


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_notes_creates_event_and_reports(notes_file):
    out, err = _run(
        "import_notes", str(notes_file), "--event", "conf", "--name", "My Conf",
        "--start", "2026-06-10", "--end", "2026-06-12",
    )  # fmt: skip

    event = Event.objects.get(slug="conf")
    assert (event.name, event.start_date, event.end_date) == (
        "My Conf",
        date(2026, 6, 10),
        date(2026, 6, 12),
    )
    assert list(Talk.objects.filter(event=event).values_list("kind", "title", "speakers")) == [
        ("talk", "Engines", "Ada Lovelace"),
        ("ignite", "Linus T.", "Linus T."),
    ]
    assert "My Conf: 2 were created, 0 updated, 0 unchanged." in out
    assert "Importing 2/2: Linus T." in err


def test_import_notes_dry_run_prints_and_saves_nothing(notes_file):
    before = row_counts()

    out, _ = _run(
        "import_notes", str(notes_file), "--event", "conf", "--start", "2026-06-10", "--dry-run"
    )

    assert row_counts() == before
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["create", "talk", "Engines", "—", "Ada", "Lovelace"]
    assert f"({notes_file}:1, 2 bullets)" in lines[0]
    assert lines[1].startswith("create    ignite     Linus T. — Linus T.")
    assert lines[-1].startswith("Dry run, nothing saved. conf: 2 would be created, 0 updated")


def test_import_notes_twice_is_idempotent(notes_file):
    args = ("import_notes", str(notes_file), "--event", "conf", "--start", "2026-06-10")
    _run(*args)
    before = database_state()

    out, _ = _run(*args)

    assert database_state() == before
    assert "conf: 0 were created, 0 updated, 2 unchanged." in out


def test_import_notes_bad_file_fails_with_file_and_line(tmp_path, notes_file):
    bad = tmp_path / "bad.org"
    bad.write_bytes(b"* Talk\n- \xff\xfe\n")
    before = row_counts()

    with pytest.raises(CommandError) as caught:
        _run("import_notes", str(notes_file), str(bad), "--event", "conf", "--start", "2026-06-10")

    assert str(caught.value) == (
        "1 file cannot be read:\n"
        f"  {bad}, line 2: not UTF-8 text (byte 0xff at column 3); save the file as UTF-8\n"
        "Nothing was imported (--skip-bad imports the other files)."
    )
    assert row_counts() == before


def test_import_notes_missing_file_and_missing_event_are_errors(tmp_path, notes_file):
    with pytest.raises(CommandError, match=r"nope\.org: no such file or folder"):
        _run("import_notes", str(tmp_path / "nope.org"), "--event", "conf", "--start", "2026-06-10")
    with pytest.raises(CommandError, match="There is no event “conf”; give its start date"):
        _run("import_notes", str(notes_file), "--event", "conf")
    with pytest.raises(CommandError, match="is not a date"):
        _run("import_notes", str(notes_file), "--event", "conf", "--start", "10/06/2026")


@pytest.mark.parametrize("fmt", ["md", "org", "zip"])
def test_export_notes_writes_each_format(tmp_path, notes_file, fmt):
    _run("import_notes", str(notes_file), "--event", "conf", "--start", "2026-06-10")
    target = tmp_path / f"out.{fmt}"

    _, err = _run("export_notes", "--event", "conf", "--format", fmt, "-o", str(target))

    data = target.read_bytes()
    assert f"Wrote {target} ({len(data)} bytes)." in err
    if fmt == "md":
        assert data.decode().startswith("# conf\n\n## Ada Lovelace: Engines\n<!-- confnotes\n")
    elif fmt == "org":
        assert data.decode().startswith("#+TITLE: conf\n\n* Ada Lovelace: Engines\n:PROPERTIES:\n")
    else:
        assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == [
            "conf/index.md",
            "conf/undated-engines.md",
            "conf/undated-linus-t.md",
        ]


def test_export_then_import_into_new_event_round_trips(tmp_path, notes_file):
    _run("import_notes", str(notes_file), "--event", "conf", "--start", "2026-06-10")
    target = tmp_path / "conf.org"
    _run("export_notes", "--event", "conf", "--format", "org", "-o", str(target))

    _run("import_notes", str(target), "--event", "copy", "--start", "2026-06-10")

    def items(slug):
        return list(
            Talk.objects.filter(event__slug=slug)
            .order_by("position")
            .values_list("kind", "title", "speakers", "note__markdown")
        )

    assert items("copy") == items("conf")


def test_export_notes_unknown_event():
    with pytest.raises(CommandError, match="There is no event “nope”"):
        _run("export_notes", "--event", "nope", "--format", "md", "-o", "-")


REPOS = Path(__file__).resolve().parents[1] / "fixtures" / "repos"


def test_import_notes_walks_a_folder_and_reports_what_it_skips():
    out, err = _run(
        "import_notes", str(REPOS / "readme-with-meta-sections"), "--event", "summit",
        "--start", "2026-06-10", "--dry-run",
    )  # fmt: skip

    lines = out.splitlines()
    assert lines[:-1] == [
        "create    keynote    Why we fail — Jane Smith  (keynote.md:1, 3 bullets)",
        "create    workshop   Kubernetes hands-on  (workshops/k8s.md:1, 1 bullets)",
        "description README.md:1 “Ops Summit 2026 notes” (this heading titles the whole "
        "document: it names the event, not a talk) becomes the event's description",
        "description README.md:6 “Talks {event}” (a README section about the event, not a "
        "talk) becomes the event's description",
        "skipped   CONTRIBUTING.md: a file about the repository, not notes",
        "skipped   images/stage.jpg: not a notes file (.jpg)",
        "skipped   README.md:11 “Contributing”: a README section about the repository",
        "skipped   README.md:15 “License”: a README section about the repository",
        "skipped   README.md:19 “Privacy”: a README section about the repository",
        "skipped   README.md:23 “Links”: a README section about the repository",
        "link      keynote.md (Why we fail): images/stage.jpg — not imported (only notes files are)",
        "link      keynote.md (Why we fail): old/notes.md — no such file in the repository",
    ]
    assert lines[-1].startswith(
        "Dry run, nothing saved. Ops Summit 2026 notes: 2 would be created, 0 updated, "
        "0 unchanged. ("
    )
    assert "Importing 2/2: Kubernetes hands-on" in err


def test_import_notes_zip_with_kind_for_every_item(tmp_path):
    archive = tmp_path / "spaces.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("unconf-main/day1_hiring/README.md", "- where to look\n")
        z.writestr("unconf-main/day2_kanban/README.md", "# Kanban for ops\n\n- limit WIP\n")

    _run("import_notes", str(archive), "--event", "unconf", "--start", "2026-06-10",
         "--kind", "open-space")  # fmt: skip

    from sessions.models import OpenSpace

    assert list(
        OpenSpace.objects.order_by("position").values_list("title", "day", "note__markdown")
    ) == [
        ("Hiring", date(2026, 6, 10), "- where to look\n"),
        ("Kanban for ops", date(2026, 6, 11), "- limit WIP\n"),
    ]


def test_import_notes_lists_every_bad_file_and_skip_bad_imports_the_rest(tmp_path):
    (tmp_path / "good.md").write_text("# Good\n\n- fine\n")
    (tmp_path / "binary.md").write_bytes(b"# Bin\n\x00\x01")
    (tmp_path / "empty.org").write_bytes(b"")
    args = ("import_notes", str(tmp_path), "--event", "conf", "--start", "2026-06-10")

    with pytest.raises(CommandError) as caught:
        _run(*args)
    _, err = _run(*args, "--skip-bad")

    assert str(caught.value) == (
        "2 files cannot be read:\n"
        "  binary.md, line 2: this is a binary file, not text (byte 0x00)\n"
        "  empty.org, line 1: the file is empty\n"
        "Nothing was imported (--skip-bad imports the other files)."
    )
    assert "Not imported: binary.md, line 2: this is a binary file, not text (byte 0x00)" in err
    assert list(Talk.objects.values_list("title", flat=True)) == ["Good"]


def test_import_notes_zip_and_other_paths_together_are_refused(tmp_path, notes_file):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.md", "# A\n")

    with pytest.raises(CommandError, match=r"^Give one \.zip on its own, or files and folders\.$"):
        _run(
            "import_notes",
            str(archive),
            str(notes_file),
            "--event",
            "conf",
            "--start",
            "2026-06-10",
        )
