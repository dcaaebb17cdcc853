"""The live board in a real browser (Debian's chromium): two people, two pages; what one
does appears on the other's page without a reload."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from sessions.models import OpenSpace
from tests.factories import make_open_space
from tests.sessions.board.helpers import make_grid

pytestmark = pytest.mark.e2e


def sign_in(context, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )


def open_board(context, url: str):
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.notReloaded = true")
    return page


@pytest.fixture
def open_live_page(asgi_live_server, browser):
    """`open_live_page(path, user=None)`: the page, live, in a browser context of its own
    (signed in as `user` if given); the contexts are closed after the test."""
    contexts = []

    def open_(path: str, *, user=None):
        context = browser.new_context()
        contexts.append(context)
        if user is not None:
            sign_in(context, asgi_live_server, user)
        return open_board(context, f"{asgi_live_server}{path}")

    yield open_
    for context in contexts:
        context.close()


def board_path(grid) -> str:
    return f"/events/{grid.event.slug}/board/"


def test_drag_and_drop_placement_appears_on_another_board(open_live_page):
    grid = make_grid()
    topic = make_open_space(event=grid.event, title="Dragged topic")
    room, slot = grid.rooms[1], grid.slots[0]
    organizer = open_live_page(board_path(grid), user=grid.organizer.user)
    visitor = open_live_page(board_path(grid))

    organizer.drag_and_drop(f"#os-{topic.pk}", f"#cell-{room.pk}-{slot.pk}")

    expect(visitor.locator(f"#cell-{room.pk}-{slot.pk} #os-{topic.pk}")).to_be_visible(timeout=2000)
    expect(visitor.locator(f"#unplaced-{topic.pk}")).to_have_count(0)
    expect(organizer.locator("#board-status")).to_contain_text("Placed “Dragged topic” in Room B")
    assert visitor.evaluate("window.notReloaded") is True
    topic.refresh_from_db()
    assert (topic.room_id, topic.slot_id) == (room.pk, slot.pk)


def test_keyboard_placement_appears_on_another_board_and_conflict_is_explained(
    open_live_page,
):
    grid = make_grid()
    topic = make_open_space(event=grid.event, title="Keyboard topic")
    grid.placed(0, 1, title="Holder")
    room, slot = grid.rooms[0], grid.slots[0]
    organizer = open_live_page(board_path(grid), user=grid.organizer.user)
    visitor = open_live_page(board_path(grid))

    organizer.locator(f"#os-{topic.pk} .board-card__move").focus()
    organizer.keyboard.press("Enter")
    where = organizer.get_by_label("Where")
    expect(where).to_be_focused()
    where.select_option(f"{grid.rooms[0].pk}-{grid.slots[1].pk}")  # taken by "Holder"
    organizer.keyboard.press("Tab")  # to "Put it there"
    organizer.keyboard.press("Enter")
    expect(organizer.locator("#board-status [role=alert]")).to_contain_text(
        "is already taken by “Holder”. Nothing was changed."
    )
    where.select_option(f"{room.pk}-{slot.pk}")
    organizer.get_by_role("button", name="Put it there").press("Enter")

    expect(visitor.locator(f"#cell-{room.pk}-{slot.pk} #os-{topic.pk}")).to_be_visible(timeout=2000)
    expect(organizer.locator("#board-panel")).to_be_empty()
    assert visitor.evaluate("window.notReloaded") is True


def test_board_that_lost_its_connection_refreshes_itself(open_live_page):
    grid = make_grid()
    topic = make_open_space(event=grid.event, title="Placed while away")
    room, slot = grid.rooms[1], grid.slots[1]
    organizer = open_live_page(board_path(grid), user=grid.organizer.user)
    visitor = open_live_page(board_path(grid))

    # Cut the visitor's socket; while it is down, the organizer places a topic.
    visitor.evaluate(
        "document.getElementById('board-live')['htmx-internal-data'].webSocket.socket.close()"
    )
    expect(visitor.locator("#live-status")).to_have_attribute("data-state", "offline")
    organizer.drag_and_drop(f"#os-{topic.pk}", f"#cell-{room.pk}-{slot.pk}")
    expect(organizer.locator("#board-status")).to_contain_text("Placed “Placed while away”")

    expect(visitor.locator("#live-status")).to_have_attribute("data-state", "live", timeout=8000)
    expect(visitor.locator(f"#cell-{room.pk}-{slot.pk} #os-{topic.pk}")).to_be_visible(timeout=3000)
    assert visitor.evaluate("window.notReloaded") is True
    assert OpenSpace.objects.get(pk=topic.pk).slot_id == slot.pk


def test_proposal_and_interest_appear_on_another_marketplace(open_live_page):
    grid = make_grid()
    market_path = f"/events/{grid.event.slug}/open-spaces/"
    proposer = open_live_page(market_path)
    watcher = open_live_page(market_path)

    proposer.locator("#id_title").fill("Observability on a budget")
    proposer.locator("#id_host").fill("Gus")
    proposer.get_by_role("button", name="Propose").click()

    card = watcher.locator(".proposal", has_text="Observability on a budget")
    expect(card).to_be_visible(timeout=2000)
    expect(card.get_by_role("button", name="Withdraw")).to_have_count(0)  # not the watcher's
    expect(
        proposer.locator(".proposal", has_text="Observability on a budget").get_by_role(
            "button", name="Withdraw"
        )
    ).to_be_visible()
    card.get_by_role("button", name="I'm interested").click()
    expect(
        proposer.locator(".proposal", has_text="Observability on a budget").locator(
            ".interest__count"
        )
    ).to_have_text("1 interested", timeout=2000)
    assert proposer.evaluate("window.notReloaded") is True


def test_stars_on_the_board_count_live_and_each_viewer_keeps_their_own(open_live_page):
    grid = make_grid()  # Room A: 10 seats
    topic = grid.placed(0, 0, title="Kanban")
    ann = open_live_page(board_path(grid), user=grid.host.user)
    bob = open_live_page(board_path(grid), user=grid.other.user)
    star = f"#os-{topic.pk} form.star button"

    ann.locator(star).click()

    expect(ann.locator(star)).to_have_attribute("aria-pressed", "true")
    # Bob's board is told, and shows the count, without Ann's star as his own.
    expect(bob.locator(f"#os-{topic.pk} .board-card__count")).to_have_text("1", timeout=3000)
    expect(bob.locator(star)).to_have_attribute("aria-pressed", "false")
    expect(bob.locator(f"#os-{topic.pk} meter")).to_have_attribute("value", "1")
    bob.locator(star).click()
    # The card Ann receives is rendered for everyone: her own star is put back in.
    expect(ann.locator(f"#os-{topic.pk} .board-card__count")).to_have_text("2", timeout=3000)
    expect(ann.locator(star)).to_have_attribute("aria-pressed", "true")
    expect(ann.locator(f"{star} .star__label")).to_have_text("Starred")
    expect(bob.locator(star)).to_have_attribute("aria-pressed", "true")
    ann.locator(star).click()  # and unstarring still works from the re-rendered card
    expect(bob.locator(f"#os-{topic.pk} .board-card__count")).to_have_text("1", timeout=3000)
    expect(ann.locator(star)).to_have_attribute("aria-pressed", "false")
    expect(bob.locator(star)).to_have_attribute("aria-pressed", "true")
    assert ann.evaluate("window.notReloaded") is True
    assert topic.interests.count() == 1
