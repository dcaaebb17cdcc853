"""The schedule in the formats other tools read: frab-compatible JSON and iCalendar."""

import uuid
from datetime import timedelta

import icalendar
from django.utils import timezone

from .models import Event
from .selectors import ScheduleItem, event_items, event_schedule

GUID_NAMESPACE = uuid.UUID("7d1a7a6e-3c0f-4c38-9f59-4f1e4f0b9a11")


def item_guid(*, event: Event, item: ScheduleItem) -> str:
    kind = "open-space" if item.is_open_space else "talk"
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/{kind}/{item.obj.pk}"))


def _hhmm(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _frab_event(*, event: Event, item: ScheduleItem, base_url: str) -> dict:
    start = item.start.astimezone(event.tz)
    obj = item.obj
    return {
        "guid": item_guid(event=event, item=item),
        "id": obj.pk,
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "duration": _hhmm(item.duration),
        "room": item.room.name if item.room else "",
        "slug": f"{event.slug}-{'open-space' if item.is_open_space else 'talk'}-{obj.pk}",
        "url": base_url + item.url,
        "title": item.title,
        "subtitle": "",
        "track": None,
        "type": "Open Space" if item.is_open_space else item.kind_label,
        "language": "en",
        "abstract": obj.description if item.is_open_space else obj.abstract,
        "description": "",
        "recording_license": "",
        "do_not_record": False,
        "persons": [{"name": name, "public_name": name} for name in item.people],
        "links": [],
        "attachments": [],
        "note_id": obj.note_id,
        "note_url": base_url + item.url,
        "note_ws": f"/ws/notes/{obj.note_id}/",
    }


def schedule_frab_json(*, event: Event, base_url: str) -> dict:
    """The schedule in the frab JSON format (see its `$schema`), plus our note links."""
    scheduled, _ = event_items(event=event)
    days = event_schedule(event=event, scheduled=scheduled)
    all_rooms = []
    for day in days:
        all_rooms += [r for r in day.rooms if r not in all_rooms]
    n_days = (event.end_date - event.start_date).days + 1
    frab_days = []
    for index in range(n_days):
        day_date = event.start_date + timedelta(days=index)
        day = next((d for d in days if d.date == day_date), None)
        rooms: dict[str, list] = {}
        if day is not None:
            for room in day.rooms:
                rooms[room.name] = []
            for item in day.items:
                rooms.setdefault(item.room.name if item.room else "", []).append(
                    _frab_event(event=event, item=item, base_url=base_url)
                )
        frab_days.append(
            {
                "index": index + 1,
                "date": day_date.isoformat(),
                "day_start": min((i.start for i in day.items), default=None)
                .astimezone(event.tz)
                .isoformat()
                if day
                else None,
                "day_end": max((i.end for i in day.items), default=None)
                .astimezone(event.tz)
                .isoformat()
                if day
                else None,
                "rooms": rooms,
            }
        )
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "confnotes", "version": "0.1"},
        "schedule": {
            "version": timezone.now().strftime("%Y-%m-%d %H:%M"),
            "base_url": base_url,
            "conference": {
                "acronym": event.slug,
                "title": event.name,
                "start": event.start_date.isoformat(),
                "end": event.end_date.isoformat(),
                "daysCount": n_days,
                "timeslot_duration": "00:05",
                "time_zone_name": event.timezone,
                "url": base_url + event.get_absolute_url(),
                "rooms": [
                    {
                        "name": r.name,
                        "guid": str(uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/room/{r.pk}")),
                        "capacity": r.capacity,
                    }
                    for r in all_rooms
                ],
                "days": frab_days,
            },
        },
    }


def items_ical(
    *, event: Event, items: list[ScheduleItem], name: str, base_url: str, refresh: str = ""
) -> bytes:
    """One VEVENT per scheduled item, times in the event's time zone.

    `refresh` (an ISO 8601 duration such as "PT15M") asks subscribed calendar apps to
    fetch the calendar again that often. Each event keeps its UID, and an open space
    says when it last changed (LAST-MODIFIED): a move shows at the next fetch.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Confnotes//Schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", event.timezone)
    if refresh:
        cal.add(
            "refresh-interval",
            icalendar.vDuration.from_ical(refresh),
            parameters={"VALUE": "DURATION"},
        )
        cal.add("x-published-ttl", refresh)
    stamp = timezone.now()
    for item in items:
        vevent = icalendar.Event()
        vevent.add("uid", f"{item_guid(event=event, item=item)}@confnotes")
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", item.start.astimezone(event.tz))
        vevent.add("dtend", item.end.astimezone(event.tz))
        vevent.add("summary", item.title)
        if item.room:
            vevent.add("location", item.room.name)
        description = ", ".join(item.people)
        vevent.add("description", f"{item.kind_label}{' — ' + description if description else ''}")
        vevent.add("url", base_url + item.url)
        vevent.add("categories", [item.kind_label])
        if item.is_open_space:
            vevent.add("last-modified", item.obj.updated_at)
        cal.add_component(vevent)
    cal.add_missing_timezones()
    return cal.to_ical()


def schedule_ical(*, event: Event, base_url: str) -> bytes:
    """The whole schedule: every scheduled talk and open space."""
    scheduled, _ = event_items(event=event)
    return items_ical(event=event, items=scheduled, name=event.name, base_url=base_url)
