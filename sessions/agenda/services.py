"""Writes of stars and of agenda feeds, and their share of a guest's sign-in merge.

A star on a talk is a `Star` row; a star on an open space is its `Interest` (the
marketplace's "I'm interested"), written by the board's `interest_toggle`, which also
updates open boards. Permissions: `sessions/access.py` (`star`, `keep_agenda`).
"""

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from notes.services import note_edit_text
from notes.tasks import task_toggle

from ..access import event_access
from ..board.identity import Actor
from ..board.services import interest_toggle
from ..models import AgendaFeed, OpenSpace, Star, Talk


@dataclass
class StarState:
    starred: bool
    count: int  # the item's stars (an open space's: its interest votes)
    changed: bool


def _mine(actor: Actor) -> dict:
    if actor.user_id is not None:
        return {"user_id": actor.user_id}
    return {"user__isnull": True, "guest_key": actor.guest_key}


def star_set(*, actor: Actor, item: Talk | OpenSpace, starred: bool | None = None) -> StarState:
    """Star or unstar a talk or an open space; with `starred` None, flip it. Setting the
    state it already has changes nothing (a double-submitted form is harmless)."""
    event_access(event=item.event, actor=actor).require("star")
    if isinstance(item, OpenSpace):
        vote = interest_toggle(actor=actor, open_space=item, interested=starred)
        return StarState(starred=vote.interested, count=vote.count, changed=vote.changed)
    with transaction.atomic():
        existing = Star.objects.filter(talk=item, **_mine(actor))
        has = existing.exists()
        want = (not has) if starred is None else starred
        changed = False
        if want and not has:
            try:
                with transaction.atomic():  # the unique constraint decides a race
                    Star.objects.create(
                        talk=item,
                        user_id=actor.user_id,
                        guest_key="" if actor.user_id is not None else actor.guest_key,
                    )
                changed = True
            except IntegrityError:
                pass  # the same person's other request got there first: still one star
        elif not want and has:
            changed = existing.delete()[0] > 0
        count = Star.objects.filter(talk=item).count()
    return StarState(starred=want, count=count, changed=changed)


def agenda_feed_reset(*, actor: Actor, event) -> AgendaFeed:
    """Give the actor's agenda feed a new secret address (creating the feed if it has
    none): the old address stops answering at once."""
    event_access(event=event, actor=actor).require("keep_agenda")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = AgendaFeed.objects.select_for_update().filter(**_mine(actor)).first()
        if feed is None:
            feed = AgendaFeed(
                user_id=actor.user_id,
                guest_key="" if actor.user_id is not None else actor.guest_key,
            )
        feed.token = token
        feed.save()
    return feed


def checklist_tick(
    *, actor: Actor, item: Talk | OpenSpace, line: int, key: str, done: bool
) -> bool:
    """Tick (`done`) or untick a checklist item of the item's notes, as a reader saw it
    (its `line` and fingerprint `key`, notes/tasks.py); whether anything changed.

    One CRDT change of one character, made by the live engine from the text as it is
    now (notes/services.py `note_edit_text`): everyone with the note open sees it, and
    whatever they type meanwhile is kept. Raises notes.tasks.TaskMoved when the item cannot be
    found as the reader saw it, and NotAllowed for those who may not write.
    """
    event_access(event=item.event, actor=actor).require("write_notes", item.note)

    def edit(text: str):
        change = task_toggle(text, line=line, key=key, done=done)
        return [(change.index, change.length, change.insert)] if change else None

    return bool(note_edit_text(note_id=item.note_id, edit=edit))


@dataclass
class AgendaMerged:
    stars: int  # talk stars now the account's
    duplicates: int  # dropped: the account had starred the same talk
    feed: bool  # the guest's calendar address is now the account's


def guest_agenda_merge(*, guest_key: str, user) -> AgendaMerged:
    """Make a guest browser's talk stars and calendar feed a signed-in user's own (its
    open-space stars are interest votes: the board's merge moves those).

    A star on a talk the account had starred too is dropped, so each person stars once.
    The guest's calendar address keeps working for the account if the account had none
    (a calendar app subscribed from this browser follows the person); otherwise the
    account keeps its own, and the guest's stops answering.
    """
    if not guest_key:
        return AgendaMerged(stars=0, duplicates=0, feed=False)
    moved = dropped = 0
    with transaction.atomic():
        for star in Star.objects.filter(guest_key=guest_key, user__isnull=True):
            try:
                with transaction.atomic():  # a savepoint: the account may have it already
                    Star.objects.filter(pk=star.pk).update(user=user, guest_key="")
                moved += 1
            except IntegrityError:
                star.delete()
                dropped += 1
        guest_feed = AgendaFeed.objects.filter(guest_key=guest_key, user__isnull=True)
        if AgendaFeed.objects.filter(user=user).exists():
            guest_feed.delete()
            feed = False
        else:
            feed = guest_feed.update(user=user, guest_key="") > 0
    return AgendaMerged(stars=moved, duplicates=dropped, feed=feed)
