"""writer.Appends: the rooms of one process write their micro-batches together."""

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError
from pycrdt import Doc, Text

from notes import persistence
from notes.models import Note, NoteClientAuthor, NoteContributor, NoteUpdate
from notes.persistence import Batch
from notes.writer import Appends

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def typed(word: str) -> bytes:
    doc = Doc()
    doc.get("content", type=Text).insert(0, word)
    return doc.get_update()


@database_sync_to_async
def new_notes(count: int) -> list[int]:
    return [Note.objects.create().pk for _ in range(count)]


@database_sync_to_async
def rows(note_id: int) -> int:
    return NoteUpdate.objects.filter(note_id=note_id).count()


class Recorder:
    """persistence.write_many as it is, recording each write's notes; the first write
    waits for `release` (a slow write) and batches listed in `fail` meet a database
    error (one that is down)."""

    def __init__(self, monkeypatch, *, fail=()):
        self.batches: list[list[int]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail = set(fail)
        real = persistence.write_many

        def write_many(batch):
            self.batches.append([b.note_id for b in batch])
            if len(self.batches) == 1:
                self.started.set()
                self.release.wait(10)
            if len(self.batches) in self.fail:
                raise OperationalError("the database went away")
            return real(batch)

        monkeypatch.setattr(persistence, "write_many", write_many)


async def test_what_arrives_during_a_write_goes_in_the_next_one(monkeypatch):
    a, b, c = await new_notes(3)
    recorder = Recorder(monkeypatch)
    appends = Appends(asyncio.get_running_loop())
    first = asyncio.ensure_future(appends.append(Batch(a, [typed("one")])))
    await asyncio.to_thread(recorder.started.wait, 10)
    # While the first batch is being written, two rooms hand theirs over.
    later = asyncio.gather(
        appends.append(Batch(b, [typed("two")])), appends.append(Batch(c, [typed("3")]))
    )
    await asyncio.sleep(0.05)
    recorder.release.set()
    assert await first is True
    assert await later == [True, True]
    assert recorder.batches == [[a], [b, c]]
    assert [await rows(n) for n in (a, b, c)] == [1, 1, 1]


async def test_a_failed_batch_fails_every_room_in_it_and_the_next_batch_is_written(
    monkeypatch,
):
    a, b = await new_notes(2)
    recorder = Recorder(monkeypatch, fail={2})
    recorder.release.set()
    appends = Appends(asyncio.get_running_loop())
    assert await appends.append(Batch(a, [typed("one")])) is True
    results = await asyncio.gather(
        appends.append(Batch(a, [typed("two")])),
        appends.append(Batch(b, [typed("three")])),
        return_exceptions=True,
    )
    assert [type(r) for r in results] == [OperationalError, OperationalError]
    # Nothing of the failed batch was stored; the writers keep it and try again.
    assert [await rows(a), await rows(b)] == [1, 0]
    assert await appends.append(Batch(b, [typed("three")])) is True
    assert recorder.batches == [[a], [a, b], [b]]
    assert await rows(b) == 1


@database_sync_to_async
def credits(note_id: int) -> tuple[list, list]:
    return (
        list(NoteContributor.objects.filter(note_id=note_id).values_list("name", "guest_key")),
        list(NoteClientAuthor.objects.filter(note_id=note_id).values_list("client_id", "name")),
    )


async def test_who_to_credit_goes_in_the_same_write_as_the_appends(monkeypatch):
    a, b = await new_notes(2)
    recorder = Recorder(monkeypatch)
    recorder.release.set()
    appends = Appends(asyncio.get_running_loop())
    results = await asyncio.gather(
        appends.append(Batch(a, [typed("one")], [(None, "Ann", "k1")], [(7, None, "k1", "Ann")])),
        appends.append(Batch(b, [], [(None, "Bob", "k2")])),
    )
    assert results == [True, False]  # b had nothing to append
    assert recorder.batches == [[a, b]]
    assert await credits(a) == ([("Ann", "k1")], [(7, "Ann")])
    assert await credits(b) == ([("Bob", "k2")], [])
    assert [await rows(a), await rows(b)] == [1, 0]
