"""An event's team: organizers and note-takers, invited by email link, removed by an
organizer.

An invitation is an `EventInvite` row and a link carrying a signed token that names
it. The token expires after INVITE_MAX_AGE and the row is used once: accepting marks
it, revoking deletes it, and either way the link stops working. Only an account that
has verified the invited address may accept, so a forwarded link is useless to others.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .access import NotAllowed, Refusal, event_access
from .board.identity import Actor
from .models import Event, EventInvite, EventRole
from .moderation import event_access_changed

INVITE_SALT = "confnotes.team-invite"
INVITE_MAX_AGE = 7 * 24 * 3600

ROLE_RANK = {EventRole.Role.NOTE_TAKER: 1, EventRole.Role.ORGANIZER: 2}


class InviteInvalid(Exception):
    """A link that does not (or no longer) invite anyone; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def invite_token(invite: EventInvite) -> str:
    return signing.dumps({"invite": invite.pk, "email": invite.email}, salt=INVITE_SALT)


def invite_url(invite: EventInvite, *, site: str) -> str:
    """The link of an invitation; `site` is the scheme and host ("https://notes.example")."""
    return site + reverse("sessions:invite", args=[invite_token(invite)])


def _send_invite(invite: EventInvite, *, site: str) -> None:
    context = {
        "invite": invite,
        "event": invite.event,
        "url": invite_url(invite, site=site),
        "days": INVITE_MAX_AGE // 86400,
        "inviter": invite.invited_by.get_full_name() if invite.invited_by else "",
    }
    send_mail(
        subject=f"[Confnotes] Join the team of {invite.event.name}",
        message=render_to_string("sessions/team/invite_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invite.email],
    )


def invite_create(*, actor: Actor, event: Event, email: str, role: str, site: str) -> EventInvite:
    """Invite `email` to the team with `role`; the email with the link is sent once the
    invitation is saved."""
    event_access(event=event, actor=actor).require("manage_team")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    if role not in EventRole.Role.values:
        raise ValidationError({"role": "Choose organizer or note-taker."})
    member = (
        EventRole.objects.filter(event=event, user__emailaddress__email__iexact=email)
        .select_related("user")
        .first()
    )
    if member is not None and ROLE_RANK[member.role] >= ROLE_RANK[role]:
        raise ValidationError(
            {"email": f"{email} is already in the team ({member.get_role_display()})."}
        )
    with transaction.atomic():
        invite = EventInvite.objects.create(
            event=event, email=email, role=role, invited_by=actor.user
        )
        transaction.on_commit(lambda: _send_invite(invite, site=site))
    return invite


def invite_from_token(token: str) -> EventInvite:
    """The invitation a link names; InviteInvalid when it is expired, used or revoked."""
    try:
        data = signing.loads(token, salt=INVITE_SALT, max_age=INVITE_MAX_AGE)
    except signing.SignatureExpired:
        raise InviteInvalid("This invitation has expired: ask for a new one.") from None
    except signing.BadSignature:
        raise InviteInvalid("This is not a valid invitation link.") from None
    invite = (
        EventInvite.objects.select_related("event", "invited_by")
        .filter(pk=data.get("invite"), email=data.get("email"))
        .first()
    )
    if invite is None:
        raise InviteInvalid("This invitation was withdrawn: ask for a new one.")
    if invite.accepted_at is not None:
        raise InviteInvalid("This invitation was already used.")
    return invite


def may_accept(*, invite: EventInvite, user) -> Refusal | None:
    """Only an account that verified the invited address accepts."""
    if user is None or not user.is_authenticated:
        return Refusal("Sign in (or sign up) to accept this invitation.", sign_in=True)
    verified = EmailAddress.objects.filter(
        user=user, email__iexact=invite.email, verified=True
    ).exists()
    if not verified:
        return Refusal(
            f"This invitation is for {invite.email}. Sign in with that address, or add "
            "and verify it in your account's email addresses, to accept it."
        )
    return None


@dataclass
class Joined:
    role: EventRole
    changed: bool  # False: the person already had this role or a higher one


def invite_accept(*, token: str, user) -> Joined:
    """Join the team as the invitation says (never lowering a role one has)."""
    with transaction.atomic():
        invite = invite_from_token(token)
        invite = EventInvite.objects.select_for_update().get(pk=invite.pk)
        if invite.accepted_at is not None:
            raise InviteInvalid("This invitation was already used.")
        refusal = may_accept(invite=invite, user=user)
        if refusal is not None:
            raise NotAllowed(refusal)
        role, created = EventRole.objects.get_or_create(
            event_id=invite.event_id, user=user, defaults={"role": invite.role}
        )
        changed = created
        if not created and ROLE_RANK[invite.role] > ROLE_RANK[role.role]:
            role.role = invite.role
            role.save(update_fields=["role"])
            changed = True
        invite.accepted_at, invite.accepted_by = timezone.now(), user
        invite.save(update_fields=["accepted_at", "accepted_by"])
        if changed:
            # A note-taker may write where only the team may: their open editors follow.
            event_access_changed(event=invite.event)
    return Joined(role=role, changed=changed)


def invite_revoke(*, actor: Actor, invite: EventInvite) -> None:
    event_access(event=invite.event, actor=actor).require("manage_team")
    invite.delete()


def member_remove(*, actor: Actor, member: EventRole) -> None:
    """Take someone off the team; the last organizer stays (someone must run the event)."""
    event_access(event=member.event, actor=actor).require("manage_team")
    with transaction.atomic():
        # Locked, so that two organizers removing each other cannot both succeed.
        organizers = list(
            EventRole.objects.select_for_update()
            .filter(event_id=member.event_id, role=EventRole.Role.ORGANIZER)
            .values_list("pk", flat=True)
        )
        if member.role == EventRole.Role.ORGANIZER and len(organizers) <= 1:
            raise ValidationError(
                "This is the event's only organizer: invite another organizer first."
            )
        member.delete()
        # Their open editors of the event's notes turn read-only where only the team writes.
        event_access_changed(event=member.event)
