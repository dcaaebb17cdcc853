"""bench/peer.py's bookkeeping: loads, generator spread, medians, ratios, the lag mark.

The servers and the timing themselves are the bench's business (`make bench-peer`);
these check the arithmetic that turns runs into the table, on made-up runs.
"""

import importlib.util
from pathlib import Path

import pytest

PEER = Path(__file__).resolve().parents[2] / "bench" / "peer.py"


@pytest.fixture(scope="module")
def peer():
    spec = importlib.util.spec_from_file_location("bench_peer", PEER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(server, load, *, p95, cpu, lagged=False, lost=0, stored=True, **extra):
    return {
        "server": server,
        "load": load,
        "lost": lost,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p95 * 2,
        "clients_converged": True,
        "late_joiner_converged": True,
        "stored_converged": None if server == "ref" else stored,
        "cpu_s_per_1000_edits": cpu,
        "mib_per_connection": 0.1,
        "frames_per_client_per_s": 95.0,
        "generator_cpu_pct_max": 40.0,
        "generator_cpu_pct_total": 60.0,
        "generator_max_lag_ms": 500.0 if lagged else 3.0,
        "generator_procs": 1,
        "generator_lagged": lagged,
        **extra,
    }


def test_loads_by_name(peer):
    assert peer.parse_load("50") == {
        "name": "50",
        "notes": 1,
        "editors": 50,
        "readers": 0,
        "witnesses": 8,
    }
    assert peer.parse_load("keynote") == {
        "name": "keynote",
        "notes": 1,
        "editors": 20,
        "readers": 500,
        "witnesses": 8,
    }
    # One witness per note at tracks: 300 notes' worth, and the generator keeps up.
    assert peer.parse_load("tracks") == {
        "name": "tracks",
        "notes": 300,
        "editors": 3,
        "readers": 0,
        "witnesses": 1,
    }
    with pytest.raises(SystemExit, match="unknown load 'lobby'"):
        peer.parse_load("lobby")


def test_the_generator_spreads_over_processes_with_the_load(peer):
    assert peer.choose_procs(peer.parse_load("20")) == 1
    assert peer.choose_procs(peer.parse_load("50")) == 2
    assert peer.choose_procs(peer.parse_load("200")) == 7
    assert peer.choose_procs(peer.parse_load("keynote")) == 3
    assert peer.choose_procs(peer.parse_load("tracks")) == 8


def test_medians_ratios_and_lost_edits_per_load_and_server(peer):
    rows = peer.summarize(
        [
            run("ref", "20", p95=4.0, cpu=1.0),
            run("one", "20", p95=5.0, cpu=2.0),
            run("ref", "20", p95=6.0, cpu=3.0),
            run("one", "20", p95=7.0, cpu=2.0, lost=2),
        ]
    )

    by = {(r["load"], r["server"]): r for r in rows}
    assert by["20", "ref"]["p95_ms"] == 5.0
    assert by["20", "ref"]["p95_ratio"] is None
    assert by["20", "one"]["p95_ms"] == 6.0
    assert by["20", "one"]["p95_ratio"] == 1.2
    assert by["20", "one"]["cpu_ratio"] == 1.0
    assert by["20", "one"]["lost"] == 2
    assert by["20", "one"]["converged"] is True


def test_a_lagged_run_does_not_count_and_is_marked(peer):
    rows = peer.summarize(
        [
            run("ref", "200", p95=9000.0, cpu=4.0, lagged=True),
            run("one", "200", p95=300.0, cpu=2.0),
            run("one", "200", p95=100.0, cpu=1.0, lagged=True),
        ]
    )
    by = {r["server"]: r for r in rows}
    # Only the run where the generator kept up makes Confnotes' figure.
    assert by["one"]["counts"] is True
    assert by["one"]["p95_ms"] == 300.0
    assert by["ref"]["counts"] is False

    table = peer.markdown(rows, "python bench/peer.py --loads 200")

    assert "| 200 | reference (Node) | 4500.0 / 9000.0 / 18000.0 * |" in table
    assert "| 200 | Confnotes, 1 worker | 150.0 / 300.0 / 600.0 | 0 | yes | 2.00 |" in table
    assert "its latency does not count" in table


def test_postgresqls_own_cpu_is_shown_apart_and_left_out_of_the_ratio(peer):
    rows = peer.summarize(
        [
            run("ref", "50", p95=4.0, cpu=1.0),
            run("one-pg", "50", p95=3.0, cpu=0.8, database_cpu_s_per_1000_edits=0.3),
        ]
    )
    by = {r["server"]: r for r in rows}
    assert by["one-pg"]["cpu_ratio"] == 0.8
    assert by["one-pg"]["database_cpu_s_per_1000_edits"] == 0.3

    table = peer.markdown(rows, "python bench/peer.py --loads 50")

    assert (
        "| 50 | Confnotes, 1 worker, PostgreSQL | 1.5 / 3.0 / 6.0 | 0 | yes "
        "| 0.80 (+ 0.30 PostgreSQL) | 0.100 | 95.0 | 0.75 | 0.80 |"
    ) in table
    assert "| 50 | reference (Node) | 2.0 / 4.0 / 8.0 | 0 | yes | 1.00 | 0.100 |" in table


def test_a_stored_document_that_differs_is_not_converged(peer):
    rows = peer.summarize([run("one", "20", p95=5.0, cpu=2.0, stored=False)])

    assert rows[0]["converged"] is False
    assert "| **no** |" in peer.markdown(rows, "python bench/peer.py")


@pytest.mark.django_db(transaction=True)
def test_the_generator_counts_every_edit_and_only_witnesses_apply_them(
    peer, asgi_live_server, monkeypatch
):
    """One generator process's clients against the real server: 2 editors and 2 readers,
    2 witnesses (clients 0, 1), every 2nd client timed (0, 2; and the witnesses).
    Everyone counts every edit it gets; only the witnesses' texts are compared; only
    the timed clients' receipts are in the latency histogram."""
    import threading
    from multiprocessing import Pipe

    from tests.factories import make_event, make_talk

    monkeypatch.setattr(peer, "TIMED_PER_NOTE", 2)
    note_id = make_talk(event=make_event(notes_access="guests")).note_id
    url = asgi_live_server.replace("http://", "ws://") + f"/ws/notes/{note_id}/"
    clients = [(0, 0, "editor", url), (0, 1, "editor", url)]
    clients += [(0, 2, "reader", url), (0, 3, "reader", url)]
    cfg = {"editors": 2, "readers": 2, "edits": 5, "rate": 20.0, "drain": 10}
    cfg |= {"origin": asgi_live_server, "witnesses": 2}
    ours, theirs = Pipe()
    generator = threading.Thread(target=peer.generator_main, args=(clients, cfg, theirs))
    generator.start()
    assert ours.poll(30)
    assert ours.recv() == ("connected", 4)
    ours.send(peer.now_us() + 100_000)
    assert ours.poll(30)
    kind, report = ours.recv()
    ours.send("close")
    generator.join(30)
    assert kind == "done"
    assert report["sent"] == 10
    # Each editor gets the other's 5 edits; each reader gets all 10.
    assert report["receipts"] == 2 * 5 + 2 * 10
    assert report["missing"] == 0
    # Timed: both editors (5 each) and the first reader (10); the last reader untimed.
    assert report["timed_clients"] == 3
    assert sum(report["hist"].values()) == 5 + 5 + 10
    # Two witnesses with the same text: one hash for the note.
    assert list(report["texts"]) == [0]
    assert len(report["texts"][0]) == 1
