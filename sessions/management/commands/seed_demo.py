from django.core.management.base import BaseCommand

from sessions.demo import demo_event_create


class Command(BaseCommand):
    help = "Create the demo event (once; does nothing if it already exists)."

    def handle(self, *args, **options) -> None:
        event, created = demo_event_create()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created the demo event “{event.name}”."))
        else:
            self.stdout.write(f"The demo event “{event.name}” already exists.")
