"""A guest who signs in becomes their account: votes, proposals, stars and note credits.

Guests are known by their browser key (board/identity.py). Their votes and proposals
carry the key; their note contributions carry only the name they typed, so the notes
socket's route is wrapped (`remember_guest_names`, see config/routing.py) to remember
which key wrote under which name in which note (`GuestNoteName`). When the person signs
up or signs in from that browser (`merge_on_sign_in`, connected to Django's
`user_logged_in`), all of it becomes the account's: a vote for a topic (or a star on a
talk) the account had already given is dropped, so one person never counts twice.
"""

import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction

from notes.services import contributor_claim

from .agenda.services import AgendaMerged, guest_agenda_merge
from .board.identity import GUEST_COOKIE, guest_key_from_cookie, guest_key_from_headers
from .board.services import GuestMerged, guest_board_merge
from .models import GuestNoteName

logger = logging.getLogger(__name__)

MAX_NAME = 100  # as the notes socket cuts it


@dataclass
class GuestMerge:
    board: GuestMerged
    agenda: AgendaMerged
    contributions: int  # note contributor rows now credited to the account


def guest_name_remember(*, guest_key: str, note_id: int, name: str) -> None:
    """Remember that the browser `guest_key` writes as `name` in note `note_id`."""
    name = name.strip()[:MAX_NAME]
    if not (guest_key and name):
        return
    try:
        with transaction.atomic():
            GuestNoteName.objects.get_or_create(guest_key=guest_key, note_id=note_id, name=name)
    except IntegrityError:
        pass  # no such note (the socket refuses it), or the same row made concurrently


def guest_merge(*, guest_key: str, user) -> GuestMerge:
    """Make everything the browser `guest_key` did as a guest `user`'s own."""
    with transaction.atomic():
        board = guest_board_merge(guest_key=guest_key, user=user)
        agenda = guest_agenda_merge(guest_key=guest_key, user=user)
        names = GuestNoteName.objects.filter(guest_key=guest_key)
        contributions = contributor_claim(user=user, claims=names.values_list("note_id", "name"))
        names.delete()  # claimed: the names are the account's now
    return GuestMerge(board=board, agenda=agenda, contributions=contributions)


def merge_on_sign_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: merge the signing-in browser's guest identity."""
    if request is None:
        return
    guest_key = guest_key_from_cookie(request.COOKIES.get(GUEST_COOKIE))
    if not guest_key:
        return
    try:
        merged = guest_merge(guest_key=guest_key, user=user)
    except Exception:
        # Signing in must work even if the merge fails; the guest data stays as it was
        # and merges at the next sign-in.
        logger.exception("Could not merge a guest identity into user %s", user.pk)
        return
    logger.info(
        "Merged a guest into user %s: %s vote(s), %s duplicate(s) dropped, %s topic(s), "
        "%s star(s), %s duplicate star(s) dropped, calendar feed %s, %s note credit(s)",
        user.pk,
        merged.board.interests,
        merged.board.duplicates,
        merged.board.hosted,
        merged.agenda.stars,
        merged.agenda.duplicates,
        "kept" if merged.agenda.feed else "not moved",
        merged.contributions,
    )


_remember = database_sync_to_async(guest_name_remember)


def remember_guest_names(app):
    """Wrap the notes socket (an ASGI app routed with `note_id`): a guest's connection
    is remembered under the name it writes as (`?name=`), before the socket runs."""

    async def wrapped(scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            guest_key = guest_key_from_headers(scope.get("headers", []))
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            name = (query.get("name") or [""])[0]
            if guest_key and name.strip():
                note_id = scope["url_route"]["kwargs"]["note_id"]
                await _remember(guest_key=guest_key, note_id=note_id, name=name)
        return await app(scope, receive, send)

    return wrapped
