import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from config.websocket_origin import origin_allowed
from tests.factories import make_event, make_talk


def scope(origin: str | None, *, host: str = "confnotes.example", scheme: str = "wss", **extra):
    headers = [(b"host", host.encode())] if host else []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers + extra.pop("more", [])}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.ALLOWED_HOSTS = ["confnotes.example", "testserver"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.trusted.example", "http://localhost:5173"]
    settings.SECURE_PROXY_SSL_HEADER = None


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "allowed"),
    [
        pytest.param("https://confnotes.example", "confnotes.example", "wss", True, id="same"),
        pytest.param("https://confnotes.example:443", "confnotes.example", "wss", True, id="port"),
        pytest.param("HTTPS://Confnotes.Example", "confnotes.example", "wss", True, id="case"),
        pytest.param(
            "http://confnotes.example:8000", "confnotes.example:8000", "ws", True, id="dev"
        ),
        pytest.param(
            "https://confnotes.example:8443", "confnotes.example", "wss", False, id="port"
        ),
        pytest.param("http://confnotes.example", "confnotes.example", "wss", False, id="http"),
        pytest.param("https://confnotes.example", "confnotes.example", "ws", False, id="to-ws"),
        pytest.param("https://evil.example", "confnotes.example", "wss", False, id="foreign"),
        pytest.param("https://sub.confnotes.example", "confnotes.example", "wss", False, id="sub"),
        pytest.param("https://evil.example", "evil.example", "wss", False, id="bad-host"),
        pytest.param("null", "confnotes.example", "wss", False, id="null"),
        pytest.param("https://confnotes.example/x", "confnotes.example", "wss", False, id="path"),
        pytest.param(
            "https://confnotes.example:99999", "confnotes.example", "wss", False, id="big"
        ),
        pytest.param(None, "confnotes.example", "wss", False, id="none"),
        pytest.param("https://a.trusted.example", "confnotes.example", "wss", True, id="trusted"),
        pytest.param("http://a.trusted.example", "confnotes.example", "wss", False, id="t-http"),
        pytest.param("http://localhost:5173", "confnotes.example", "wss", True, id="t-port"),
        pytest.param("http://localhost:5174", "confnotes.example", "wss", False, id="t-other"),
    ],
)
def test_origin_must_be_the_site_as_served_or_trusted(origin, host, scheme, allowed):
    assert origin_allowed(scope(origin, host=host, scheme=scheme)) is allowed


def test_origin_behind_a_tls_proxy_follows_secure_proxy_ssl_header(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = [(b"x-forwarded-proto", b"https")]

    assert origin_allowed(scope("https://confnotes.example", scheme="ws", more=proxied)) is True
    assert origin_allowed(scope("http://confnotes.example", scheme="ws", more=proxied)) is False
    assert origin_allowed(scope("http://confnotes.example", scheme="ws")) is True


@database_sync_to_async
def _paths() -> list[str]:
    event = make_event(notes_access="guests")
    return [f"/ws/notes/{make_talk(event=event).note_id}/", f"/ws/events/{event.slug}/board/"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("origin", "connected"),
    [
        (b"http://testserver", True),
        (b"http://testserver:8080", False),
        (b"https://testserver", False),
    ],
)
async def test_both_sockets_accept_only_their_own_origin(origin, connected):
    results = []
    for path in await _paths():
        communicator = WebsocketCommunicator(
            application, path, headers=[(b"origin", origin), (b"host", b"testserver")]
        )
        accepted, _ = await communicator.connect()
        results.append(accepted)
        await communicator.disconnect()

    assert results == [connected, connected]
