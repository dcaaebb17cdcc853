"""uvicorn's websockets-sansio protocol, handing a live note's frames straight to its room.

    python -m config.server config.asgi:application --ws notes.server_protocol:LiveWebSocketProtocol

Under plain ASGI, every frame a client sends goes through uvicorn's receive queue:
the protocol stops reading the socket (`pause_reading`, a system call), puts a message
on the queue, and wakes the connection's task; that task takes the message, starts
reading again (a second system call) and only then hands the frame to the room. For a
note-taker's keystroke, that was about a fifth of what the worker spends per edit at
300 notes × 3 editors (bench/peer.py tracks).

This protocol lets the live-notes socket register a handler (`on_bytes`) once it is
accepted: each binary message is then given to it as soon as it is parsed, in order,
on the event loop, and reading goes on. Nothing is buffered, so a client can still
only send as fast as the room takes its frames; the handler applies the same limits
as the receive loop (consumers.py).

Everything else goes through the queue, as uvicorn does it: text frames, the close,
the disconnect, and any binary message while something is still queued (the frames
that came before the handler was registered are handled first, so order is kept).
On any other server, or with another `--ws`, the live notes read from the queue.
"""

from collections.abc import Callable

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class LiveWebSocketProtocol(WebSocketsSansIOProtocol):
    # Called with each binary message while set (consumers.py); must not raise.
    on_bytes: Callable[[bytes], None] | None = None

    def send_receive_event_to_app(self) -> None:
        handler = self.on_bytes
        if (
            handler is None
            or self.curr_msg_data_type != "bytes"
            or self.close_sent
            or not self.queue.empty()
        ):
            super().send_receive_event_to_app()
            return
        frames, self.frames = self.frames, []
        handler(frames[0] if len(frames) == 1 else b"".join(frames))


def live_protocol(send) -> LiveWebSocketProtocol | None:
    """The protocol whose bound ASGI `send` this is, when it is a LiveWebSocketProtocol."""
    protocol = getattr(send, "__self__", None)
    return protocol if isinstance(protocol, LiveWebSocketProtocol) else None
