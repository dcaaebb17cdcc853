"""python manage.py import_notes PATH [PATH…] --event SLUG [--name …] [--start …] [--end …]
[--kind KIND] [--skip-bad] [--dry-run]

PATH is a notes file, a folder (walked: a repository of notes) or a .zip of one.
"""

import datetime as dt
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sessions.transfer.importing import (
    ITEM_KINDS,
    EventImportError,
    ImportResult,
    UnreadableFiles,
    event_import,
)
from sessions.transfer.sources import (
    ArchiveError,
    Repository,
    repository_from_paths,
    repository_from_zip,
)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date (YYYY-MM-DD)") from None


def _repository(paths: list[Path]) -> Repository:
    zips = [p for p in paths if p.suffix.lower() == ".zip" and p.is_file()]
    if zips and len(paths) > 1:
        raise CommandError("Give one .zip on its own, or files and folders.")
    try:
        if zips:
            return repository_from_zip(zips[0].read_bytes(), name=zips[0].name)
        return repository_from_paths(paths)
    except ArchiveError as error:
        raise CommandError(f"{error} — nothing was imported.") from None
    except OSError as error:
        raise CommandError(f"{error.filename}: {error.strerror}") from None


class Command(BaseCommand):
    help = (
        "Import Org-mode (.org) or Markdown (.md) notes — files, folders of them, or a .zip "
        "of a repository — into an event's talks and open spaces."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", type=Path)
        parser.add_argument("--event", required=True, metavar="SLUG")
        parser.add_argument("--name", help="the event's name, when the import creates it")
        parser.add_argument("--start", type=_date, metavar="YYYY-MM-DD")
        parser.add_argument("--end", type=_date, metavar="YYYY-MM-DD")
        parser.add_argument(
            "--kind", choices=ITEM_KINDS, help="the kind of every item (e.g. open-space)"
        )
        parser.add_argument(
            "--skip-bad",
            action="store_true",
            help="import the files that can be read, list the others",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change, change nothing"
        )

    def handle(self, *args, **options):
        repository = _repository(options["paths"])
        started = time.perf_counter()
        try:
            result = event_import(
                repository=repository,
                slug=options["event"],
                name=options["name"],
                start=options["start"],
                end=options["end"],
                kind=options["kind"],
                skip_bad=options["skip_bad"],
                dry_run=options["dry_run"],
                progress=self._progress if options["verbosity"] > 0 else None,
            )
        except UnreadableFiles as error:
            raise CommandError(
                f"{error}\nNothing was imported (--skip-bad imports the other files)."
            ) from None
        except EventImportError as error:
            raise CommandError(str(error)) from None
        self._progress_done()
        elapsed = time.perf_counter() - started
        if options["dry_run"] or options["verbosity"] > 1:
            self._report(result)
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        for problem in result.problems:
            self.stderr.write(self.style.WARNING(f"Not imported: {problem}"))
        prefix = "Dry run, nothing saved. " if options["dry_run"] else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{result.summary()} ({elapsed:.2f} s)"))

    def _report(self, result: ImportResult) -> None:
        for item in result.items:
            people = f" — {', '.join(item.people)}" if item.people else ""
            day = f" [{item.day}]" if item.day else ""
            changed = f" ({', '.join(item.changed)})" if item.changed else ""
            self.stdout.write(
                f"{item.action:9} {item.kind:10} {item.title}{people}{day}{changed}"
                f"  ({item.file}:{item.line}, {item.bullets} bullets)"
            )
        verbs = {
            "set": "becomes the event's description",
            "unchanged": "is the event's description already",
            "kept": "is not imported: the event keeps its own description",
        }
        for part in result.description:
            self.stdout.write(
                f"description {part.file}:{part.line} “{part.title}” ({part.reason}) "
                f"{verbs.get(result.description_action, '')}"
            )
        for part in result.skipped:
            where = f"{part.file}:{part.line}" if part.line else part.file
            title = f" “{part.title}”" if part.line else ""
            self.stdout.write(f"skipped   {where}{title}: {part.reason}")
        for link in result.broken_links:
            self.stdout.write(f"link      {link.file} ({link.where}): {link.href} — {link.reason}")
        if result.ignored:
            self.stdout.write(f"ignored   {result.ignored} hidden files (.git and the like)")

    _shown = False

    def _progress(self, done: int, total: int, title: str) -> None:
        # Progress goes to stderr, on one line, so stdout stays a clean report.
        if not sys.stderr.isatty() and done not in (total,) and done % 25:
            return
        self._shown = True
        self.stderr.write(f"\rImporting {done}/{total}: {title[:50]:50}", ending="")
        self.stderr.flush()

    def _progress_done(self) -> None:
        if self._shown:
            self.stderr.write("")
