"""Organizers running their event in the app: creating it, its settings, its team, and
joining a team by invitation. (Rooms, slots and talks: board/views_setup.py.)

Thin adapters: a form parses, a service decides and writes (its ValidationErrors land
on the form's fields), and a refusal keeps its status. Every form works without
JavaScript (post/redirect/get); with htmx, the team page swaps only its team section.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from . import services, team
from .access import EventAccess, NotAllowed, event_creation_refusal, refuse, requires, write_refusal
from .board.forms import apply_errors
from .forms import EventForm, InviteForm, event_initial
from .live_room import event_live_room
from .models import Event, EventInvite, EventRole

LIVE_PAGE = "sessions/event_live.html"
TEAM_PAGE = "sessions/team/team.html"
TEAM_SECTION = f"{TEAM_PAGE}#team"


@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest) -> HttpResponse:
    refusal = event_creation_refusal(user=request.user)
    if refusal is not None and refusal.sign_in:
        return redirect_to_login(request.get_full_path())
    if refusal is not None:
        return refuse(request, refusal)
    form = EventForm(request.POST or None, create=True)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Created “{event.name}”. Next: its rooms, slots and talks.")
            return redirect("sessions:board_setup", slug=event.slug)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "creating": True}
    return render(request, "sessions/event_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires("manage_event")
def event_settings(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    if request.method == "GET":
        form = EventForm(initial=event_initial(event))
        return render(request, "sessions/event_form.html", {"form": form, "event": event})
    form = EventForm(request.POST)
    if form.is_valid():
        try:
            # A fresh copy: a refused change must not show as made on the page.
            services.event_update(
                actor=access.actor, event=Event.objects.get(pk=event.pk), **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("sessions:event_settings", slug=form.cleaned_data["slug"])
    context = {"form": form, "event": event}
    return render(request, "sessions/event_form.html", context, status=422)


# --- Team ---------------------------------------------------------------------------


def _team_context(event: Event, **extra) -> dict:
    members = (
        EventRole.objects.filter(event=event)
        .select_related("user")
        .order_by("-role", "user__first_name", "user__username")
    )
    invites = EventInvite.objects.filter(event=event, accepted_at__isnull=True)
    return {
        "event": event,
        "members": members,
        "invites": invites,
        "invite_form": InviteForm(),
        **extra,
    }


def _team_answer(
    request: HttpRequest,
    event: Event,
    *,
    status: int = 200,
    notice: str = "",
    error: str = "",
    **context,
) -> HttpResponse:
    """The team section (htmx) or page; a plain POST that saved or was refused goes back
    to the page with its message (post/redirect/get)."""
    if not request.htmx and request.method == "POST" and (status < 400 or error):
        if notice:
            messages.success(request, notice)
        if error:
            messages.error(request, error)
        return redirect("sessions:team", slug=event.slug)
    context = _team_context(event, notice=notice, error=error, **context)
    return render(request, TEAM_SECTION if request.htmx else TEAM_PAGE, context, status=status)


@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
@requires("manage_team")
def team_page(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return _team_answer(request, event)


def _site(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@require_POST
@requires("manage_team")
def team_invite(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    refusal = write_refusal(request, access, "manage_team", limit="invite")
    if refusal is not None:
        return _team_answer(request, event, status=refusal.status, error=refusal.text)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invite = team.invite_create(
                actor=access.actor,
                event=event,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                site=_site(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            notice = f"Invited {invite.email} as {invite.get_role_display().lower()}."
            return _team_answer(request, event, notice=notice)
    return _team_answer(request, event, status=422, invite_form=form)


@require_POST
@requires("manage_team")
def team_remove(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    member = get_object_or_404(
        EventRole.objects.select_related("user", "event"), event=event, pk=pk
    )
    name = member.user.get_full_name() or member.user.get_username()
    try:
        team.member_remove(actor=access.actor, member=member)
    except ValidationError as error:
        return _team_answer(request, event, status=409, error=" ".join(error.messages))
    return _team_answer(request, event, notice=f"{name} is no longer in the team.")


@require_POST
@requires("manage_team")
def invite_revoke(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    invite = get_object_or_404(EventInvite.objects.select_related("event"), event=event, pk=pk)
    team.invite_revoke(actor=access.actor, invite=invite)
    return _team_answer(request, event, notice=f"Withdrew the invitation of {invite.email}.")


@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: what it invites to (GET), and joining (POST)."""
    try:
        invitation = team.invite_from_token(token)
    except team.InviteInvalid as error:
        return render(request, "sessions/team/invite.html", {"invalid": error.message}, status=410)
    refusal = team.may_accept(invite=invitation, user=request.user)
    if request.method == "POST":
        try:
            joined = team.invite_accept(token=token, user=request.user)
        except team.InviteInvalid as error:
            context = {"invalid": error.message}
            return render(request, "sessions/team/invite.html", context, status=410)
        except NotAllowed as error:
            refusal = error.refusal
        else:
            role = joined.role.get_role_display().lower()
            if joined.changed:
                messages.success(request, f"Welcome to the team of {invitation.event.name}!")
            else:
                messages.info(request, f"You already are a {role} of {invitation.event.name}.")
            return redirect(invitation.event.get_absolute_url())
    context = {"invite": invitation, "refusal": refusal, "token": token}
    status = refusal.status if refusal is not None and request.method == "POST" else 200
    return render(request, "sessions/team/invite.html", context, status=status)


@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
@requires("monitor_notes")
def event_live(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    """The live notes of the event; htmx asks again every few seconds for the fragment."""
    template = f"{LIVE_PAGE}#room" if request.htmx else LIVE_PAGE
    response = render(request, template, {"event": event, "room": event_live_room(event=event)})
    response["Cache-Control"] = "no-store"
    return response
