"""The templates of the board pages and their htmx / live fragments, named once.

A fragment is a `{% partialdef %}` of a page, rendered as "page.html#name"; views and
the live broadcasts (`live.py`) must agree on these names.
"""

_BOARD = "sessions/board/board.html"
_MARKET = "sessions/board/market.html"
_SETUP = "sessions/board/setup.html"
_LIVE = "sessions/board/_live.html"
_DISPLAY = "sessions/board/display.html"

# Pages
BOARD_PAGE = _BOARD
MARKET_PAGE = _MARKET
SETUP_PAGE = _SETUP
DISPLAY_PAGE = _DISPLAY
EDIT_PAGE = "sessions/board/edit.html"
PLACE_PAGE = "sessions/board/place.html"
SETUP_EDIT_PAGE = "sessions/board/setup_edit.html"
REFUSED_PAGE = "sessions/board/refused.html"

# The board
BOARD_REGION = f"{_BOARD}#region"
BOARD_CELL = f"{_BOARD}#cell"
BOARD_UNPLACED_ITEM = f"{_BOARD}#unplaced-item"
BOARD_PLACE_PANEL = f"{_BOARD}#place-panel"
DISPLAY_REGION = f"{_DISPLAY}#region"
DISPLAY_WRITING = f"{_DISPLAY}#writing"

# The marketplace
MARKET_REGION = f"{_MARKET}#region"
MARKET_PROPOSE_FORM = f"{_MARKET}#propose-form"
MARKET_INTEREST = f"{_MARKET}#interest"
MARKET_INTEREST_COUNT = f"{_MARKET}#interest-count"
MARKET_PROPOSAL_NEW = f"{_MARKET}#proposal-new"
MARKET_PROPOSAL_MAIN = f"{_MARKET}#proposal-main"
MARKET_PROPOSAL_GONE = f"{_MARKET}#proposal-gone"

# Shared by every live page: the status line, and "fetch your live region again"
LIVE_STATUS = f"{_LIVE}#status"
LIVE_REFRESH = f"{_LIVE}#refresh"

# The set-up page: its sections, and a room's, slot's or talk's row and inline edit form
SETUP_SETTINGS = f"{_SETUP}#settings"
SETUP_ROOMS = f"{_SETUP}#rooms"
SETUP_SLOTS = f"{_SETUP}#slots"
SETUP_TALKS = f"{_SETUP}#talks"
SETUP_ROW = {
    "room": f"{_SETUP}#room-row",
    "slot": f"{_SETUP}#slot-row",
    "talk": f"{_SETUP}#talk-row",
}
SETUP_EDIT = {
    "room": f"{_SETUP}#room-edit",
    "slot": f"{_SETUP}#slot-edit",
    "talk": f"{_SETUP}#talk-edit",
}
