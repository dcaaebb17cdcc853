"""uvicorn, with a graceful shutdown for the live notes.

    python -m config.server config.asgi:application --host 127.0.0.1 --port 8000 [uvicorn options]

Takes every option of the `uvicorn` command. On SIGTERM (or Ctrl-C), uvicorn
alone would close every WebSocket at once with 1012 and let the event loop end
with the last micro-batch of updates possibly unwritten. This server first:

1. stops accepting connections (a load balancer sends new ones elsewhere), and
   marks the process as draining: /readyz answers 503, sockets still arriving
   are refused with 1001;
2. closes every live-notes socket with 1001 (going away): clients reconnect, to
   another worker behind the balancer, and resync;
3. waits until everything received is stored in the database and handed to
   the peer processes (at most NOTES_LIVE["DRAIN_TIMEOUT"] seconds);

then lets uvicorn finish its own shutdown. A worker killed outright loses
nothing either (its clients and its peers hold every update), it is just less
polite.
"""

import gc
import importlib
import logging
import sys
import time

from uvicorn.server import Server

# The modules, not the names the `uvicorn` package re-exports (uvicorn.main is a function).
_main = importlib.import_module("uvicorn.main")
_multiprocess = importlib.import_module("uvicorn.supervisors.multiprocess")

log = logging.getLogger("notes.live")


# Python's default collector runs a young-generation pass every 700 net container
# allocations, and a full one over every live object when enough survive. A worker
# holding 900 live connections (300 notes × 3 editors) ran 36 passes a second, spent
# about a tenth of its CPU in them, and stopped everything for 250–320 ms at each full
# pass (gc.callbacks, bench/peer.py tracks). Far fewer young passes let the
# short-lived objects of a frame die by reference counting first; what was loaded at
# startup (Django, the app) is frozen out of the full passes. Cycles are still found.
GC_THRESHOLDS = (50_000, 10, 10)


def tune_gc() -> None:
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class GracefulServer(Server):
    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        tune_gc()  # after the app is loaded: its modules are frozen

    async def shutdown(self, sockets=None) -> None:
        started = time.monotonic()
        for server in getattr(self, "servers", []):
            server.close()  # stop accepting; uvicorn's own shutdown does it again, harmlessly
        from django.conf import settings

        if settings.configured:
            from notes.conf import live_setting
            from notes.room import all_registries

            for registry in all_registries():
                rooms, clients = (
                    len(registry.rooms),
                    sum(len(room.clients) for room in registry.rooms.values()),
                )
                late = await registry.drain(within=live_setting("DRAIN_TIMEOUT"))
                if late:
                    log.error("shutting down with notes %s not fully stored", late)
                log.warning(
                    "drained %s open notes and %s connections in %.2f s",
                    rooms,
                    clients,
                    time.monotonic() - started,
                )
        await super().shutdown(sockets=sockets)


def main() -> None:
    # `uvicorn` builds its Server in these two modules: the command line, and each
    # process of --workers (spawned processes import this module again first).
    _main.Server = GracefulServer
    _multiprocess.Server = GracefulServer
    sys.argv[0] = "uvicorn"
    _main.main()


_multiprocess.Server = GracefulServer

if __name__ == "__main__":
    main()
