"""A guest who signs in becomes their account: votes, proposals, stars and note credits.

Guests are known by their browser key (board/identity.py). Their votes and proposals
carry the key, and so do their note contributions: the notes socket asks the policy for
the key of a guest connection (`EventNotePolicy.guest_key`) and the live engine records
it with the name the guest wrote under (`NoteContributor.guest_key`). When the person
signs up or signs in from that browser (`merge_on_sign_in`, connected to Django's
`user_logged_in`), all of it becomes the account's: a vote for a topic (or a star on a
talk) the account had already given is dropped, and a note the account had written in
too keeps one contributor row, so one person never counts twice.
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from notes.services import note_contributors_merge_guest

from .agenda.services import AgendaMerged, guest_agenda_merge
from .board.identity import GUEST_COOKIE, guest_key_from_cookie
from .board.services import GuestMerged, guest_board_merge

logger = logging.getLogger(__name__)


@dataclass
class GuestMerge:
    board: GuestMerged
    agenda: AgendaMerged
    contributions: int  # notes whose guest credit moved to the account


def guest_merge(*, guest_key: str, user) -> GuestMerge:
    """Make everything the browser `guest_key` did as a guest `user`'s own."""
    with transaction.atomic():
        board = guest_board_merge(guest_key=guest_key, user=user)
        agenda = guest_agenda_merge(guest_key=guest_key, user=user)
        contributions = note_contributors_merge_guest(
            guest_key=guest_key,
            user_id=user.pk,
            # The name the live engine credits an account under (notes/consumers.py).
            name=user.get_full_name() or user.get_username(),
        )
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
