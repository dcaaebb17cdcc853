"""python manage.py export_notes --event SLUG --format md|org|zip -o PATH"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sessions.models import Event
from sessions.transfer.exporting import event_export_markdown, event_export_org, event_export_zip


class Command(BaseCommand):
    help = "Export an event's notes as one Markdown or Org document, or a zip of Markdown files."

    def add_arguments(self, parser):
        parser.add_argument("--event", required=True, metavar="SLUG")
        parser.add_argument("--format", required=True, choices=["md", "org", "zip"])
        parser.add_argument("-o", "--output", required=True, metavar="PATH", help="“-” for stdout")

    def handle(self, *args, **options):
        event = Event.objects.filter(slug=options["event"]).first()
        if event is None:
            raise CommandError(f"There is no event “{options['event']}”.")
        fmt = options["format"]
        if fmt == "zip":
            data = event_export_zip(event=event)
        elif fmt == "org":
            data = event_export_org(event=event).encode()
        else:
            data = event_export_markdown(event=event).encode()
        if options["output"] == "-":
            sys.stdout.buffer.write(data)
            return
        path = Path(options["output"])
        try:
            path.write_bytes(data)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        self.stderr.write(self.style.SUCCESS(f"Wrote {path} ({len(data)} bytes)."))
