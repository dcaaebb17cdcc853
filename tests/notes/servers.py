"""Real server processes for the tests: uvicorn on free ports, sharing one database."""

import ast
import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote, urlsplit, urlunsplit
from urllib.request import urlopen

import websockets

from deploy.cluster import ClusterError, free_port, wait_for_port
from notes.client import DocClient

REPO_ROOT = Path(__file__).resolve().parents[2]


class ServerDatabase:
    """A throwaway database for server processes: a SQLite file, or a new
    PostgreSQL database next to DATABASE_URL's."""

    def __init__(self, tmp_dir: Path):
        base = os.environ.get("DATABASE_URL", "")
        self.postgres = base.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urlsplit(base)
            self.name = f"confnotes_srv_{uuid.uuid4().hex[:10]}"
            self._admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = tmp_dir / "server.sqlite3"
            self.url = f"sqlite:///{self.path}"
        self.manage("migrate", "--noinput", "-v", "0")

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def env(self, **extra) -> dict:
        env = {**os.environ, "DATABASE_URL": self.url, "NOTES_LOG_LEVEL": "INFO", **extra}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        return env

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def new_guest_note(self) -> int:
        slug = f"server-test-{uuid.uuid4().hex[:10]}"
        code = (
            "from tests.factories import make_event, make_talk; "
            f"print(make_talk(event=make_event(slug='{slug}', notes_access='guests')).note_id)"
        )
        return int(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def _query_one(self, sql: str, params: list):
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return conn.execute(sql, params).fetchone()[0]
        with contextlib.closing(sqlite3.connect(self.path)) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchone()[0]

    def update_rows(self, note_id: int) -> int:
        return self._query_one(
            "SELECT count(*) FROM notes_noteupdate WHERE note_id = %s", [note_id]
        )

    def markdown(self, note_id: int) -> str:
        """The note's Markdown column: what pages, exports and search read."""
        return self._query_one("SELECT markdown FROM notes_note WHERE id = %s", [note_id])

    def stored_text(self, note_id: int) -> str:
        """The text of the stored CRDT document (checkpoint + log), read independently."""
        code = (
            "from notes.services import note_text; from notes.models import Note; "
            f"print(repr(note_text(note=Note.objects.get(pk={note_id}))))"
        )
        return ast.literal_eval(self.manage("shell", "-c", code).strip().splitlines()[-1])


class Server:
    """One uvicorn process serving config.asgi:application."""

    def __init__(self, database: ServerDatabase, log_dir: Path, **env):
        self.port = free_port()
        self.log_path = log_dir / f"uvicorn-{self.port}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--ws",
                "notes.server_protocol:LiveWebSocketProtocol",
                # As `make run` serves it (Makefile WS_OPTIONS).
                "--ws-per-message-deflate",
                "false",
                "--ws-max-size",
                "2097152",
                "--lifespan",
                "off",
                "--no-access-log",
            ],
            cwd=REPO_ROOT,
            env=database.env(**env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(self.port, self.process, within=30, what="the server")
        except ClusterError as exc:
            raise AssertionError(f"{exc}\n{self.log_path.read_text()}") from None

    def readyz(self) -> tuple[int, dict]:
        """GET /readyz: (status, JSON body)."""
        try:
            with urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=10) as response:
                return response.status, json.loads(response.read())
        except HTTPError as error:
            return error.code, json.loads(error.read())

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def url(self, note_id: int, name: str = "Ann") -> str:
        return f"ws://127.0.0.1:{self.port}/ws/notes/{note_id}/?name={quote(name)}"

    def kill(self) -> None:
        """Die like a crash: no shutdown handlers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


class WsClient:
    """A DocClient over a real WebSocket (the `websockets` library)."""

    def __init__(self, server: Server, note_id: int, name: str = "Ann"):
        self.url = server.url(note_id, name)
        self.origin = f"http://127.0.0.1:{server.port}"
        self.y = DocClient()
        self._reader: asyncio.Task | None = None
        self.ws = None

    @property
    def text(self) -> str:
        return str(self.y)

    async def connect(self) -> "WsClient":
        # A sync reply holds the whole note, which may be larger than websockets' 1 MiB.
        self.ws = await websockets.connect(self.url, origin=self.origin, max_size=None)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        await self.ws.send(self.y.sync_step1())
        await self.until(lambda: self.y.synced)
        return self

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self.ws:
                for reply in self.y.receive(frame):
                    await self.ws.send(reply)

    async def append(self, chunk: str) -> None:
        await self.ws.send(self.y.append(chunk))

    async def until(self, predicate, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"client state not reached; text={self.text!r}")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            await self._reader
