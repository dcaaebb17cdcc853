"""An organizer's first hour, in a real browser: sign up, verify the email (read from
the outbox, where tests send mail), create an event, add a room and a slot, and invite a
note-taker, who joins through the emailed link. No CSP violation on the way."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from sessions.models import Event, EventRole, Room, Slot

from .editor_helpers import CSP_WATCH

pytestmark = pytest.mark.e2e

PASSWORD = "pw-confnotes-1"


def last_link(path: str, *, to: str) -> str:
    """The path of the link matching `path` in the last email to `to`."""
    message = next(m for m in reversed(mail.outbox) if m.to == [to])
    return re.search(rf"https?://[^/\s]+({path})", message.body).group(1)


def sign_up_and_verify(page, base: str, *, name: str, email: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    page.goto(base + last_link(r"/accounts/confirm-email/\S+/", to=email))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".site-nav__user")).to_have_text(name)


def test_sign_up_create_an_event_set_it_up_and_invite_a_note_taker(asgi_live_server, browser):
    base = asgi_live_server
    first_day = timezone.localdate() + timedelta(days=40)
    context = browser.new_context()
    context.add_init_script(CSP_WATCH)
    page = context.new_page()

    sign_up_and_verify(page, base, name="Olga Organizer", email="olga@example.org")

    page.get_by_role("link", name="Create an event").click()
    page.get_by_role("textbox", name="Name:").fill("Harbour Days")
    page.get_by_role("textbox", name="Address:").fill("harbour-days")
    page.get_by_label("First day:").fill(first_day.isoformat())
    page.get_by_label("Last day:").fill((first_day + timedelta(days=1)).isoformat())
    page.get_by_label("Time zone:").select_option("Europe/Paris")
    page.get_by_role("button", name="Create the event").click()
    expect(page.get_by_role("heading", name="Rooms, slots and talks")).to_be_visible()

    rooms = page.locator("#setup-rooms")
    rooms.get_by_role("textbox", name="Name:").fill("Atlas")
    rooms.get_by_role("button", name="Add room").click()
    expect(page.locator("#setup-rooms .setup-list")).to_contain_text("Atlas")

    slots = page.locator("#setup-slots form").filter(has_text="Add one slot")
    slots.get_by_label("Day:").fill(first_day.isoformat())
    slots.get_by_label("Start:").fill("14:00")
    slots.get_by_label("End:").fill("14:45")
    slots.get_by_role("button", name="Add slot").click()
    expect(page.locator("#setup-slots .setup-list")).to_contain_text("14:00–14:45")

    page.get_by_role("navigation", name="Organize Harbour Days").get_by_role(
        "link", name="Team"
    ).click()
    page.get_by_label("Email address:").fill("nora@example.org")
    page.get_by_label("Note-taker").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#team-invites")).to_contain_text("nora@example.org")
    assert page.evaluate("window.__csp") == []

    invitation = base + last_link(r"/invites/\S+/", to="nora@example.org")
    nora = browser.new_context().new_page()
    sign_up_and_verify(nora, base, name="Nora Notes", email="nora@example.org")
    nora.goto(invitation)
    nora.get_by_role("button", name="Join as note-taker").click()
    expect(nora.locator(".messages")).to_contain_text("Welcome to the team of Harbour Days!")

    event = Event.objects.get(slug="harbour-days")
    assert [room.name for room in Room.objects.filter(event=event)] == ["Atlas"]
    assert Slot.objects.filter(event=event).count() == 1
    assert sorted(
        EventRole.objects.filter(event=event).values_list("user__first_name", "role")
    ) == [("Nora Notes", "note_taker"), ("Olga Organizer", "organizer")]
    context.close()
