"""History and authorship with real server processes: who wrote what survives a crash
and restart, and a restore reaches the editors of every process over Redis."""

import json
import subprocess
import sys
import uuid

import pytest

from tests.notes.servers import REPO_ROOT, WsClient
from tests.notes.test_servers import redis_url

pytestmark = pytest.mark.asyncio


def authorship(database, note_id: int) -> list[list[str]]:
    """[name, text] runs of the note's text, computed by a process of its own."""
    code = (
        "import json; from notes.models import Note; from notes.selectors import note_authorship; "
        f"a = note_authorship(note=Note.objects.get(pk={note_id})); assert a.complete; "
        "print(json.dumps([[r[0].name if r[0] else '?', r[1]] for r in a.runs]))"
    )
    return json.loads(database.manage("shell", "-c", code).strip().splitlines()[-1])


def shell(database, code: str, **env) -> str:
    """The last line `manage.py shell -c code` prints, run with the workers' environment
    (the same channel layer)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO_ROOT,
        env=database.env(**env),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip().splitlines()[-1]


async def test_who_wrote_what_survives_a_crash_and_restart(database, servers):
    note_id = database.new_guest_note()
    first = servers()
    ann = await WsClient(first, note_id, name="Ann").connect()
    bob = await WsClient(first, note_id, name="Bob").connect()
    await ann.append("Ann wrote this. ")
    await bob.until(lambda: bob.text == "Ann wrote this. ")
    await bob.append("Bob wrote that.")
    await ann.until(lambda: ann.text == "Ann wrote this. Bob wrote that.")
    await ann.until(lambda: database.stored_text(note_id) == ann.text)

    first.kill()
    second = servers()
    carol = await WsClient(second, note_id, name="Carol").connect()
    await carol.append(" Carol, after the restart.")
    expected = "Ann wrote this. Bob wrote that. Carol, after the restart."
    await carol.until(lambda: database.stored_text(note_id) == expected)

    assert authorship(database, note_id) == [
        ["Ann", "Ann wrote this. "],
        ["Bob", "Bob wrote that."],
        ["Carol", " Carol, after the restart."],
    ]
    await carol.close()


async def test_a_restore_reaches_the_editors_of_every_process(database, servers):
    env = {"REDIS_URL": redis_url(), "REDIS_PREFIX": f"confnotes-test-{uuid.uuid4().hex[:8]}"}
    note_id = database.new_guest_note()
    worker_a, worker_b = servers(**env), servers(**env)
    ann = await WsClient(worker_a, note_id, name="Ann").connect()
    bob = await WsClient(worker_b, note_id, name="Bob").connect()
    await ann.append("Alpha beta gamma.")
    await bob.until(lambda: bob.text == "Alpha beta gamma.")
    await bob.ws.send(bob.y.edit(lambda text: text.__setitem__(slice(6, 10), "VANDAL")))
    await ann.until(lambda: ann.text == "Alpha VANDAL gamma.")
    await ann.until(lambda: database.stored_text(note_id) == "Alpha VANDAL gamma.")

    # Restored by a third process (a management shell) with no room of its own: the
    # change is stored, then published to the rooms of both workers.
    code = (
        "from notes.models import Note, NoteRevision; "
        "from notes.services import ReplacedBy, note_restore; "
        f"note = Note.objects.get(pk={note_id}); "
        "good = NoteRevision.objects.create(note=note, markdown='Alpha beta gamma.'); "
        "print(note_restore(note=note, revision=good, by=ReplacedBy(name='Olga')))"
    )
    assert shell(database, code, **env) == "True"

    await ann.until(lambda: ann.text == "Alpha beta gamma.")
    await bob.until(lambda: bob.text == "Alpha beta gamma.")
    await ann.append(" And on.")
    await bob.until(lambda: bob.text == "Alpha beta gamma. And on.")
    await ann.close()
    await bob.close()
