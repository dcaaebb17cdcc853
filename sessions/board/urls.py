"""URLs of the open-space marketplace and board, under /events/<slug>/ (see sessions/urls.py)."""

from django.urls import path

from . import views, views_setup

urlpatterns = [
    path("open-spaces/", views.market, name="open_spaces"),
    path("open-spaces/propose/", views.propose, name="open_space_propose"),
    path("open-spaces/<int:pk>/edit/", views.edit, name="open_space_edit"),
    path("open-spaces/<int:pk>/withdraw/", views.withdraw, name="open_space_withdraw"),
    path("open-spaces/<int:pk>/interest/", views.interest, name="open_space_interest"),
    path("open-spaces/<int:pk>/hide/", views.hide, name="open_space_hide"),
    path("board/", views.board, name="board"),
    path("board/place/", views.place, name="board_place"),
    path("board/<int:pk>/place/", views.place_form, name="board_place_form"),
    path("board/display/", views.display, name="board_display"),
    path("board/setup/", views_setup.setup, name="board_setup"),
    path("board/setup/settings/", views_setup.setup_settings, name="board_setup_settings"),
    path("board/setup/rooms/", views_setup.room_create, name="board_room_create"),
    path("board/setup/rooms/<int:pk>/", views_setup.room_row, name="board_room"),
    path("board/setup/rooms/<int:pk>/edit/", views_setup.room_edit, name="board_room_edit"),
    path("board/setup/rooms/<int:pk>/delete/", views_setup.room_delete, name="board_room_delete"),
    path("board/setup/slots/", views_setup.slot_create, name="board_slot_create"),
    path("board/setup/slots/generate/", views_setup.slots_generate, name="board_slots_generate"),
    path("board/setup/slots/<int:pk>/", views_setup.slot_row, name="board_slot"),
    path("board/setup/slots/<int:pk>/edit/", views_setup.slot_edit, name="board_slot_edit"),
    path("board/setup/slots/<int:pk>/delete/", views_setup.slot_delete, name="board_slot_delete"),
    path("board/setup/talks/", views_setup.talk_create, name="board_talk_create"),
    path("board/setup/talks/<int:pk>/", views_setup.talk_row, name="board_talk"),
    path("board/setup/talks/<int:pk>/edit/", views_setup.talk_edit, name="board_talk_edit"),
    path("board/setup/talks/<int:pk>/delete/", views_setup.talk_delete, name="board_talk_delete"),
]
