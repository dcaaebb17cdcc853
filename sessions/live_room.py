"""The organizers' live view of an event's notes: which are open now, who is in them,
how fast they are written, whether storage keeps up, and a small chart of the last
minutes.

The numbers come from every worker process (`notes.livestats.note_stats`: each
process publishes its open notes every couple of seconds); this module only matches
them to the event's talks and open spaces and lays out the chart as SVG coordinates
for the template (no chart library, no script: htmx refreshes the whole fragment).
"""

import time
from dataclasses import dataclass

from notes.livestats import BUCKET_SECONDS, HISTORY_BUCKETS, NoteStats, note_stats

from .models import Event, OpenSpace, Talk

CHART_WIDTH = 600
CHART_HEIGHT = 120
# Storage lagging more than this many seconds is shown as a problem.
LAG_WARNING_SECONDS = 2.0


@dataclass(frozen=True)
class OpenNote:
    title: str
    url: str
    kind: str  # "talk" or "open space"
    note_id: int
    people: int
    writers: int
    edits_per_minute: int
    lag: float
    queued: int

    @property
    def lagging(self) -> bool:
        return self.lag > LAG_WARNING_SECONDS


@dataclass(frozen=True)
class Chart:
    """Polylines in a CHART_WIDTH × CHART_HEIGHT box (y grows downwards)."""

    width: int
    height: int
    edits_points: str
    people_points: str
    edits_max: int  # the edits per minute the top of the box stands for
    people_max: int
    minutes: int


@dataclass(frozen=True)
class LiveRoom:
    notes: list[OpenNote]
    chart: Chart
    people: int
    edits_per_minute: int
    worst_lag: float

    @property
    def lagging(self) -> bool:
        return self.worst_lag > LAG_WARNING_SECONDS


def _items(event: Event) -> dict[int, tuple[str, str, str]]:
    """note id -> (title, url, kind) of every talk and open space of the event."""
    items = {}
    for talk in Talk.objects.filter(event=event).select_related("event"):
        items[talk.note_id] = (talk.title, talk.get_absolute_url(), "talk")
    for topic in OpenSpace.objects.filter(event=event).select_related("event"):
        items[topic.note_id] = (topic.title, topic.get_absolute_url(), "open space")
    return items


def _scale(value: float, top: float, height: int) -> float:
    return round(height - (value / top) * (height - 4) - 2, 1) if top else float(height - 2)


def _points(series: list[float], top: float) -> str:
    step = CHART_WIDTH / max(1, len(series) - 1)
    return " ".join(
        f"{round(i * step, 1)},{_scale(value, top, CHART_HEIGHT)}" for i, value in enumerate(series)
    )


def _nice_top(value: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50… at least `value`."""
    top = 1
    while top < value:
        for factor in (2, 2.5, 2):
            top = int(top * factor)
            if top >= value:
                break
    return top


def build_chart(stats: list[NoteStats], *, now: float) -> Chart:
    """Edits per minute and people connected, all notes together, over the history kept."""
    last = int(now // BUCKET_SECONDS) * BUCKET_SECONDS
    buckets = [last - BUCKET_SECONDS * i for i in range(HISTORY_BUCKETS - 1, -1, -1)]
    per_minute = 60 / BUCKET_SECONDS
    edits = [sum(s.edits.get(b, 0) for s in stats) * per_minute for b in buckets]
    people = [sum(s.people.get(b, 0) for s in stats) for b in buckets]
    edits_top = _nice_top(max(edits, default=0))
    people_top = _nice_top(max(people, default=0))
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        edits_points=_points(edits, edits_top),
        people_points=_points(people, people_top),
        edits_max=edits_top,
        people_max=people_top,
        minutes=HISTORY_BUCKETS * BUCKET_SECONDS // 60,
    )


def event_live_room(*, event: Event, now: float | None = None) -> LiveRoom:
    now = time.time() if now is None else now
    items = _items(event)
    stats = note_stats(items.keys(), now=now)
    notes = []
    for note_id, note in stats.items():
        if not (note.clients or note.queued or note.edits_per_minute(now)):
            continue  # still in a worker's memory, but nobody is there
        title, url, kind = items[note_id]
        notes.append(
            OpenNote(
                title=title,
                url=url,
                kind=kind,
                note_id=note_id,
                people=note.clients,
                writers=note.writers,
                edits_per_minute=note.edits_per_minute(now),
                lag=note.lag,
                queued=note.queued,
            )
        )
    # Busiest first: where the organizers' attention is wanted.
    notes.sort(key=lambda n: (-n.people, -n.edits_per_minute, n.title))
    return LiveRoom(
        notes=notes,
        chart=build_chart(list(stats.values()), now=now),
        people=sum(n.people for n in notes),
        edits_per_minute=sum(n.edits_per_minute for n in notes),
        worst_lag=max((n.lag for n in notes), default=0.0),
    )
