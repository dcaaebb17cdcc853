"""The live board through Channels: a change committed by one person reaches every
open board, marketplace and display of the event as server-rendered fragments."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from sessions.board import services
from sessions.board.hub import current_hub
from sessions.board.identity import Actor
from sessions.models import Event
from tests.factories import make_open_space
from tests.sessions.board.helpers import hosted_by, make_grid

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def connect(
    event, *, view: str = "board", cookie: str = "", origin: bytes = b"http://testserver"
):
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(
        application, f"/ws/events/{event.slug}/board/?view={view}", headers=headers
    )
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_placement_reaches_another_board_as_the_cell_fragment():
    grid = await database_sync_to_async(make_grid)()
    topic = await database_sync_to_async(make_open_space)(event=grid.event, title="Live topic")
    room, slot = grid.rooms[1], grid.slots[0]
    cookie = await database_sync_to_async(session_cookie)(grid.organizer.user)
    viewer, viewer_ok = await connect(grid.event)
    organizer, organizer_ok = await connect(grid.event, cookie=cookie)

    await database_sync_to_async(services.open_space_place)(
        actor=grid.organizer, open_space=topic, room=room, slot=slot
    )

    seen = [await viewer.receive_from(timeout=2), await viewer.receive_from(timeout=2)]
    own = [await organizer.receive_from(timeout=2), await organizer.receive_from(timeout=2)]
    assert (viewer_ok, organizer_ok) == (True, True)
    assert seen[0] == f'<li id="unplaced-{topic.pk}" hx-swap-oob="delete"></li>'
    assert seen[1].startswith(
        f'<td id="cell-{room.pk}-{slot.pk}" class="cell cell--taken" data-cell="{room.pk}-{slot.pk}"'
        ' hx-swap-oob="true"><article id="os-'
    )
    assert ">Live topic</a></h3>" in seen[1]
    assert "draggable" not in seen[1]  # a visitor's variant has no controls
    assert f'draggable="true" data-open-space="{topic.pk}"' in own[1]  # the organizer's has
    assert await viewer.receive_nothing(timeout=0.2)
    await viewer.disconnect()
    await organizer.disconnect()


async def test_move_updates_both_cells_and_display_refreshes():
    grid = await database_sync_to_async(make_grid)()
    old_room, new_room, slot = grid.rooms[0], grid.rooms[1], grid.slots[0]
    topic = await database_sync_to_async(make_open_space)(
        event=grid.event, title="Mover", room=old_room, slot=slot, status="scheduled"
    )
    board, _ = await connect(grid.event)
    display, _ = await connect(grid.event, view="display")

    await database_sync_to_async(services.open_space_move)(
        actor=grid.organizer, open_space=topic, room=new_room, slot=slot
    )

    frames = [await board.receive_from(timeout=2), await board.receive_from(timeout=2)]
    ids = sorted(frame.split('"')[1] for frame in frames)
    assert ids == sorted([f"cell-{old_room.pk}-{slot.pk}", f"cell-{new_room.pk}-{slot.pk}"])
    assert await display.receive_from(timeout=2) == (
        '<div id="live-refresh" hx-swap-oob="true" hx-get="" hx-trigger="load"'
        ' hx-target="#live-region" hx-select="#live-region" hx-swap="outerHTML"></div>'
    )
    assert await board.receive_nothing(timeout=0.2)
    await board.disconnect()
    await display.disconnect()


async def test_new_proposal_reaches_marketplace_with_controls_only_for_its_host():
    grid = await database_sync_to_async(make_grid)()
    host_cookie = await database_sync_to_async(session_cookie)(grid.host.user)
    market, _ = await connect(grid.event, view="market", cookie="")
    host_market, _ = await connect(grid.event, view="market", cookie=host_cookie)
    board, _ = await connect(grid.event, view="board")

    topic = await database_sync_to_async(services.open_space_propose)(
        actor=grid.host, event=grid.event, title="Fresh idea"
    )

    others = await market.receive_from(timeout=2)
    hosts = await host_market.receive_from(timeout=2)
    on_board = await board.receive_from(timeout=2)
    assert others.startswith('<ol hx-swap-oob="afterbegin:#proposal-list"><li id="proposal-')
    assert "Fresh idea" in others
    assert "Withdraw" not in others
    assert f'href="/events/{grid.event.slug}/open-spaces/{topic.pk}/edit/"' in hosts
    assert on_board.startswith('<ul hx-swap-oob="beforeend:#unplaced-list">')
    for communicator in (market, host_market, board):
        await communicator.disconnect()


async def test_interest_updates_the_count_on_marketplaces():
    grid = await database_sync_to_async(make_grid)()
    topic = await database_sync_to_async(hosted_by)(grid.host, event=grid.event, title="Counted")
    market, _ = await connect(grid.event, view="market")

    await database_sync_to_async(services.interest_toggle)(actor=grid.other, open_space=topic)

    frame = await market.receive_from(timeout=2)
    assert frame.endswith(
        f'<span id="interest-count-{topic.pk}" class="interest__count" hx-swap-oob="true">'
        "1 interested</span>"
    )
    await market.disconnect()


async def test_withdrawal_removes_topic_from_marketplace_and_frees_cell():
    grid = await database_sync_to_async(make_grid)()
    room, slot = grid.rooms[0], grid.slots[0]
    topic = await database_sync_to_async(hosted_by)(
        grid.host, event=grid.event, title="Gone", room=room, slot=slot, status="scheduled"
    )
    market, _ = await connect(grid.event, view="market")
    board, _ = await connect(grid.event, view="board")

    await database_sync_to_async(services.open_space_withdraw)(actor=grid.host, open_space=topic)

    assert await market.receive_from(timeout=2) == (
        f'<li id="proposal-{topic.pk}" hx-swap-oob="delete"></li>'
    )
    cell = await board.receive_from(timeout=2)
    assert cell.startswith(f'<td id="cell-{room.pk}-{slot.pk}" class="cell cell--free"')
    await market.disconnect()
    await board.disconnect()


async def test_setup_change_tells_every_view_to_refresh():
    grid = await database_sync_to_async(make_grid)()
    board, _ = await connect(grid.event, view="board")

    await database_sync_to_async(services.room_create)(
        actor=grid.organizer, event=grid.event, name="Annex", capacity=8
    )

    frame = await board.receive_from(timeout=2)
    assert frame.startswith('<div id="live-refresh" hx-swap-oob="true" hx-get=""')
    await board.disconnect()


async def test_other_events_boards_hear_nothing():
    grid = await database_sync_to_async(make_grid)()
    elsewhere = await database_sync_to_async(make_grid)()
    topic = await database_sync_to_async(make_open_space)(event=grid.event)
    board, _ = await connect(elsewhere.event)

    await database_sync_to_async(services.open_space_place)(
        actor=grid.organizer, open_space=topic, room=grid.rooms[0], slot=grid.slots[0]
    )

    assert await board.receive_nothing(timeout=0.3)
    await board.disconnect()


async def test_unknown_event_and_foreign_origin_are_refused():
    grid = await database_sync_to_async(make_grid)()
    ghost = Event(slug="no-such-event")

    _, unknown_ok = await connect(ghost)
    _, foreign_ok = await connect(grid.event, origin=b"https://evil.example")

    assert (unknown_ok, foreign_ok) == (False, False)


async def test_page_that_missed_a_change_before_connecting_is_told_to_refresh():
    grid = await database_sync_to_async(make_grid)()
    topic = await database_sync_to_async(make_open_space)(event=grid.event, title="Early")
    rendered = int((topic.updated_at.timestamp() - 5) * 1000)  # page read 5 s before the change
    current = int((topic.updated_at.timestamp() + 5) * 1000)
    stale = WebsocketCommunicator(
        application,
        f"/ws/events/{grid.event.slug}/board/?view=board&since={rendered}",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")],
    )
    fresh = WebsocketCommunicator(
        application,
        f"/ws/events/{grid.event.slug}/board/?view=board&since={current}",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")],
    )
    await stale.connect()
    await fresh.connect()

    assert (await stale.receive_from(timeout=2)).startswith('<div id="live-refresh"')
    assert await fresh.receive_nothing(timeout=0.2)
    await stale.disconnect()
    await fresh.disconnect()


async def test_a_process_hears_a_broadcast_once_and_sends_every_viewer_the_same_fragment():
    grid = await database_sync_to_async(make_grid)()
    topic = await database_sync_to_async(make_open_space)(event=grid.event, title="Shared")
    hub = current_hub()
    viewers = [(await connect(grid.event, view=view))[0] for view in ("board", "market") * 3]
    held = [viewer.conn for viewer in hub.events[grid.event.pk]]

    await database_sync_to_async(services.interest_toggle)(
        actor=Actor(guest_key="a-voter"), open_space=topic, interested=True
    )
    counts = [await viewer.receive_from(timeout=2) for viewer in viewers[1::2]]
    for viewer in viewers:
        await viewer.disconnect()
    await asyncio.sleep(0.05)  # the hub lets go of the event once its last viewer left

    # One subscription (the hub's channel) holds all six sockets of the event.
    assert (len(held), hub.channel is not None) == (6, True)
    assert len(set(counts)) == 1
    assert 'id="interest-count-' in counts[0]
    assert grid.event.pk not in hub.events
