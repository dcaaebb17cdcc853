import re

from django.urls import reverse


def test_service_worker_served_from_root_uncached(client):
    response = client.get("/sw.js")

    assert reverse("notes:service_worker") == "/sw.js"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    # The build stamped its hash into the cache name (confnotes-<hash>).
    assert re.search(rb"BUILD=\"[0-9a-f]{12}\"", response.content)


def test_service_worker_only_answers_get(client):
    response = client.post("/sw.js")

    assert response.status_code == 405


def test_readyz_answers_ready_when_the_database_answers_and_no_note_is_unlinked(db, client):
    response = client.get("/readyz")

    assert reverse("notes:readyz") == "/readyz"
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "problems": [],
        "open_notes": 0,
        "connections": 0,
        "unsynced_notes": [],
    }
    assert "no-store" in response["Cache-Control"]
