"""python manage.py import_notes FILE [FILE…] --event SLUG [--name …] [--start …] [--end …] [--dry-run]"""

import datetime as dt
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from notes.outline import OutlineError
from sessions.transfer.importing import EventImportError, event_import


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Import Org-mode (.org) or Markdown (.md) notes into an event's talks and open spaces."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--event", required=True, metavar="SLUG")
        parser.add_argument("--name", help="the event's name, when the import creates it")
        parser.add_argument("--start", type=_date, metavar="YYYY-MM-DD")
        parser.add_argument("--end", type=_date, metavar="YYYY-MM-DD")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change, change nothing"
        )

    def handle(self, *args, **options):
        files = []
        for name in options["files"]:
            path = Path(name)
            try:
                files.append((name, path.read_bytes()))
            except OSError as error:
                raise CommandError(f"{name}: {error.strerror}") from None
        started = time.perf_counter()
        try:
            result = event_import(
                files=files,
                slug=options["event"],
                name=options["name"],
                start=options["start"],
                end=options["end"],
                dry_run=options["dry_run"],
                progress=self._progress if options["verbosity"] > 0 else None,
            )
        except OutlineError as error:
            raise CommandError(f"{error} — nothing was imported.") from None
        except EventImportError as error:
            raise CommandError(str(error)) from None
        self._progress_done()
        elapsed = time.perf_counter() - started
        if options["dry_run"] or options["verbosity"] > 1:
            for item in result.items:
                people = f" — {', '.join(item.people)}" if item.people else ""
                day = f" [{item.day}]" if item.day else ""
                changed = f" ({', '.join(item.changed)})" if item.changed else ""
                self.stdout.write(
                    f"{item.action:9} {item.kind:10} {item.title}{people}{day}{changed}"
                    f"  ({item.file}:{item.line}, {item.bullets} bullets)"
                )
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        prefix = "Dry run, nothing saved. " if options["dry_run"] else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{result.summary()} ({elapsed:.2f} s)"))

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
