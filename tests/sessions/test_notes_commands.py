"""The import_notes and export_notes management commands."""

import io
import zipfile
from datetime import date

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
