"""Reading the files of an import (sessions.transfer.sources): folders, and zips as hostile input.

A zip upload is read in memory only, decompressing notes files alone, within
limits counted on the bytes actually inflated: a zip bomb, a path that climbs
out of the archive, a link, an encrypted entry or a binary file is refused and
named — never written anywhere, never followed.
"""

import io
import stat
import zipfile
from datetime import date

import pytest

from sessions.models import Event
from sessions.transfer.importing import UnreadableFiles, event_import
from sessions.transfer.paths import humanize, name_meaning, path_meaning
from sessions.transfer.sources import (
    ArchiveError,
    Limits,
    repository_from_files,
    repository_from_paths,
    repository_from_zip,
)

from .helpers import row_counts

SMALL = Limits(entries=20, files=5, file_bytes=1000, total_bytes=3000)


def _zip(files: dict[str, bytes], *, infos: dict[str, zipfile.ZipInfo] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr((infos or {}).get(name, name), data)
    return buffer.getvalue()


def test_zip_of_a_github_download_reads_notes_inside_its_top_folder():
    data = _zip({
        "notes-main/README.md": b"# Notes\n",
        "notes-main/day1/talk.md": b"# Talk\n",
        "notes-main/day1/photo.jpg": b"\xff\xd8\xff",
        "notes-main/.git/HEAD": b"ref: main\n",
        "__MACOSX/notes-main/._talk.md": b"\x00\x05",
    })  # fmt: skip

    repository = repository_from_zip(data, name="notes.zip")

    assert [(f.path, f.folders, f.at_root) for f in repository.files] == [
        ("day1/talk.md", ("notes-main", "day1"), False),
        ("README.md", ("notes-main",), True),
    ]
    assert [(s.path, s.reason) for s in repository.skipped] == [
        ("day1/photo.jpg", "not a notes file (.jpg)")
    ]
    assert (repository.problems, repository.ignored) == ([], 2)


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.md", "/etc/notes.md", "notes/../../x.md", "C:/Windows/x.md", "..\\up.md"],
)
def test_zip_path_that_leads_outside_is_refused_and_named(name):
    data = _zip({"ok.md": b"# OK\n", name: b"# Evil\n"})

    repository = repository_from_zip(data)

    assert [f.path for f in repository.files] == ["ok.md"]
    assert [str(p) for p in repository.problems] == [
        f"{name}: its path leads outside the archive: not read"
    ]


def test_zip_bomb_is_refused_without_inflating_it():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("talk.md", b"# Talk\n")
        with archive.open("bomb.md", "w") as bomb:
            for _ in range(100):  # 100 MB of zeros, about 100 KB compressed
                bomb.write(bytes(1024 * 1024))
    assert len(buffer.getvalue()) < 200_000

    repository = repository_from_zip(buffer.getvalue())

    assert [f.path for f in repository.files] == ["talk.md"]
    assert [str(p) for p in repository.problems] == [
        "bomb.md: too large for a notes file (100 MB; at most 5 MB)"
    ]


def test_zip_notes_over_the_total_size_refuse_the_whole_archive():
    data = _zip({f"talk-{n}.md": b"# T\n" + b"x" * 900 for n in range(4)})

    with pytest.raises(ArchiveError, match=r"^more than 3000 bytes of notes \(at talk-3\.md\)$"):
        repository_from_zip(data, limits=SMALL)


def test_zip_with_too_many_entries_is_refused():
    data = _zip({f"f{n}.txt": b"" for n in range(21)})

    with pytest.raises(ArchiveError, match=r"^notes\.zip holds 21 entries; at most 20 are read$"):
        repository_from_zip(data, name="notes.zip", limits=SMALL)


def test_zip_with_too_many_notes_files_is_refused():
    data = _zip({f"t{n}.md": b"# T\n" for n in range(6)})

    with pytest.raises(ArchiveError, match=r"^more than 5 notes files \(at t5\.md\)"):
        repository_from_zip(data, limits=SMALL)


def _encrypted(data: bytes, name: str) -> bytes:
    """`data` with the entry `name` marked encrypted (zipfile cannot write one)."""
    raw = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    raw[info.header_offset + 6] |= 0x1  # local header: general purpose flags
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        if raw[central + 46 : central + 46 + len(name)] == name.encode():
            raw[central + 8] |= 0x1  # central directory: general purpose flags
            break
        central = raw.find(b"PK\x01\x02", central + 4)
    return bytes(raw)


def test_zip_symbolic_links_and_encrypted_entries_are_not_read():
    link = zipfile.ZipInfo("link.md")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = _zip(
        {"link.md": b"/etc/passwd", "locked.md": b"# Secret\n", "ok.md": b"# OK\n"},
        infos={"link.md": link},
    )
    data = _encrypted(data, "locked.md")

    repository = repository_from_zip(data)

    assert [f.path for f in repository.files] == ["ok.md"]
    assert [(s.path, s.reason) for s in repository.skipped] == [
        ("link.md", "a symbolic link: not followed")
    ]
    assert [str(p) for p in repository.problems] == ["locked.md: encrypted: cannot be read"]


def test_not_a_zip_is_refused():
    with pytest.raises(ArchiveError, match=r"^notes\.zip is not a zip archive that can be read$"):
        repository_from_zip(b"# just Markdown\n", name="notes.zip")


@pytest.mark.django_db
def test_zip_binary_and_non_utf8_notes_are_named_and_nothing_is_imported():
    data = _zip({
        "good.md": b"# Good\n",
        "day1/photo.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00",
        "day1/latin.md": "# Caf\u00e9\n".encode("latin-1"),
    })  # fmt: skip
    before = row_counts()

    with pytest.raises(UnreadableFiles) as caught:
        event_import(repository=repository_from_zip(data), slug="z", start=date(2026, 6, 10))

    assert str(caught.value) == (
        "2 files cannot be read:\n"
        "  day1/latin.md, line 1: not UTF-8 text (byte 0xe9 at column 6); save the file as UTF-8\n"
        "  day1/photo.md, line 2: this is a binary file, not text (byte 0x1a)"
    )
    assert row_counts() == before
    assert not Event.objects.filter(slug="z").exists()


# ---------------------------------------------------------------- folders and files


def test_folder_walk_skips_hidden_links_and_non_notes(tmp_path):
    root = tmp_path / "repo"
    (root / "day1").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / "day1" / "talk.md").write_text("# Talk\n")
    (root / "day1" / "talk.md.bak").write_text("old\n")
    (root / "LICENSE").write_text("MIT\n")
    (root / "elsewhere.md").symlink_to(tmp_path / "outside.md")

    repository = repository_from_paths([root])

    assert [(f.path, f.folders, f.at_root) for f in repository.files] == [
        ("day1/talk.md", ("repo", "day1"), False)
    ]
    assert [(s.path, s.reason) for s in repository.skipped] == [
        ("day1/talk.md.bak", "not a notes file (.bak)"),
        ("elsewhere.md", "a symbolic link: not followed"),
        ("LICENSE", "a file about the repository, not notes"),
    ]
    assert repository.ignored == 1


def test_folder_file_over_the_size_limit_is_a_problem(tmp_path):
    (tmp_path / "big.md").write_bytes(b"# Big\n" + b"x" * 2000)

    repository = repository_from_paths([tmp_path], limits=SMALL)

    assert [str(p) for p in repository.problems] == [
        "big.md: too large for a notes file (2006 bytes; at most 1000 bytes)"
    ]


def test_uploaded_files_with_the_same_name_are_both_read():
    repository = repository_from_files([("a/notes.md", b"# A\n"), ("b/notes.md", b"# B\n")])

    assert [(f.path, f.folders) for f in repository.files] == [
        ("notes.md", ("a",)),
        ("notes-2.md", ("b",)),
    ]


# ---------------------------------------------------------------- what names say


@pytest.mark.parametrize(
    ("name", "day", "when", "kind"),
    [
        ("day1", 1, None, None),
        ("day_one", 1, None, None),
        ("day-2", 2, None, None),
        ("Day 3", 3, None, None),
        ("second-day", 2, None, None),
        ("2019-07-10", None, date(2019, 7, 10), None),
        ("2019_07_10-keynotes", None, date(2019, 7, 10), "keynote"),
        ("open-spaces", None, None, "open-space"),
        ("openspaces", None, None, "open-space"),
        ("Open_Spaces", None, None, "open-space"),
        ("ignites", None, None, "ignite"),
        ("ignites-015", None, None, "ignite"),
        ("02_workshops", None, None, "workshop"),
        ("lightning", None, None, "ignite"),
        ("lightning-talks", None, None, "ignite"),
        ("workshops", None, None, "workshop"),
        ("demos", None, None, "demo"),
        ("keynotes", None, None, "keynote"),
        ("day2-openspaces", 2, None, "open-space"),
        ("day1_kubernetes-at-scale", 1, None, None),
        ("holiday2", None, None, None),
        ("sunday", None, None, None),
        ("2019-13-45", None, None, None),
    ],
)
def test_name_meaning(name, day, when, kind):
    meaning = name_meaning(name)

    assert (meaning.day, meaning.date, meaning.kind) == (day, when, kind)


def test_file_name_starting_with_a_kind_gives_that_kind():
    assert name_meaning("keynote-culture-first", is_file=True).kind == "keynote"
    assert name_meaning("keynote-culture-first").kind is None  # a folder must be only the kind


def test_path_meaning_the_innermost_name_wins():
    meaning = path_meaning(("notes", "2026-06-10", "day2", "ignites"), "03-lightning")

    assert (meaning.day, meaning.date, meaning.kind) == (2, None, "ignite")


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("day1_kubernetes-at-scale", "Kubernetes at scale"),
        ("2019-07-10_GitOps_in_practice", "GitOps in practice"),
        ("03-keynote-culture-first", "Culture first"),
        ("on_call", "On call"),
        ("ignites", ""),
        ("day2", ""),
    ],
)
def test_humanize(name, title):
    assert humanize(name) == title
