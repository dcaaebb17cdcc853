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
    assert peer.parse_load("50") == {"name": "50", "notes": 1, "editors": 50, "readers": 0}
    assert peer.parse_load("keynote") == {
        "name": "keynote",
        "notes": 1,
        "editors": 20,
        "readers": 500,
    }
    assert peer.parse_load("tracks") == {"name": "tracks", "notes": 300, "editors": 3, "readers": 0}
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


def test_a_stored_document_that_differs_is_not_converged(peer):
    rows = peer.summarize([run("one", "20", p95=5.0, cpu=2.0, stored=False)])

    assert rows[0]["converged"] is False
    assert "| **no** |" in peer.markdown(rows, "python bench/peer.py")
