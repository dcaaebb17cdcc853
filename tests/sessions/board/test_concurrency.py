"""Two placements into one cell at the same moment, on two real database connections.

Only PostgreSQL can run them truly at once: SQLite lets one writer in at a time
(BEGIN IMMEDIATE), so there the race cannot happen and the test is skipped.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from sessions.board import services
from sessions.models import OpenSpace
from tests.factories import make_open_space
from tests.sessions.board.helpers import make_grid

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so placements cannot overlap",
    ),
]


def in_thread(target, results, key):
    def run():
        try:
            results[key] = target()
        except Exception as error:  # the test inspects what each side got
            results[key] = error
        finally:
            connection.close()

    return threading.Thread(target=run)


def test_second_placement_waits_for_the_first_and_gets_the_conflict():
    grid = make_grid()
    room, slot = grid.rooms[0], grid.slots[0]
    first_topic = make_open_space(event=grid.event, title="First")
    second_topic = make_open_space(event=grid.event, title="Second")
    first_written = threading.Event()
    results: dict = {}

    def first():
        with transaction.atomic():
            placed = services.open_space_place(
                actor=grid.organizer, open_space=first_topic, room=room, slot=slot
            )
            first_written.set()
            time.sleep(0.6)  # uncommitted: the other placement runs into our row meanwhile
        return placed

    def second():
        first_written.wait(10)
        started = time.monotonic()
        try:
            return services.open_space_place(
                actor=grid.organizer, open_space=second_topic, room=room, slot=slot
            )
        finally:
            results["second_waited"] = time.monotonic() - started

    threads = [in_thread(first, results, "first"), in_thread(second, results, "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert isinstance(results["first"], services.Placement)
    assert isinstance(results["second"], services.CellOccupied)
    assert results["second"].occupant == first_topic
    assert results["second_waited"] > 0.4  # it really waited on the first transaction
    assert list(OpenSpace.objects.filter(room=room, slot=slot).values_list("title", flat=True)) == [
        "First"
    ]
    second_topic.refresh_from_db()
    assert (second_topic.room_id, second_topic.slot_id, second_topic.status) == (
        None,
        None,
        "proposed",
    )


def test_simultaneous_placements_exactly_one_wins_every_time():
    grid = make_grid(rooms=5, slots=2)
    cells = [(room, slot) for room in grid.rooms for slot in grid.slots]
    outcomes = []
    for n, (room, slot) in enumerate(cells):
        topics = [make_open_space(event=grid.event, title=f"T{n}-{side}") for side in "ab"]
        barrier = threading.Barrier(2)
        results: dict = {}

        def place(topic, room=room, slot=slot, barrier=barrier):
            barrier.wait(10)
            return services.open_space_place(
                actor=grid.organizer, open_space=topic, room=room, slot=slot
            )

        threads = [in_thread(lambda t=topic: place(t), results, topic.title) for topic in topics]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        won = sorted(k for k, v in results.items() if isinstance(v, services.Placement))
        lost = sorted(k for k, v in results.items() if isinstance(v, services.CellOccupied))
        holder = OpenSpace.objects.get(room=room, slot=slot).title
        outcomes.append((len(won), len(lost), won == [holder]))

    assert outcomes == [(1, 1, True)] * len(cells)
