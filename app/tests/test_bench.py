"""The load benchmark runs end to end and writes its results; nothing here asserts on speed."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
import time
from pathlib import Path

import pytest

from fakes import REPO, load_emulator_harness

_spec = importlib.util.spec_from_file_location("bench", REPO / "app" / "bench" / "bench.py")
assert _spec is not None
assert _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench"] = bench  # dataclasses look their module up there
_spec.loader.exec_module(bench)


@pytest.mark.skipif(load_emulator_harness() is None, reason="the project's emulator (local/) is not here")
def test_bench_writes_both_phases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    assert bench.main(["--seconds", "1", "--concurrency", "2", "--records", "4", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    phases = results["phases"]
    assert list(phases) == [
        "GET /api/records/<id>",
        "GET /api/records/<id> at 100 req/s",
        "PUT /api/records/<id>",
        "PUT /api/records/<id> at 50 req/s",
    ]
    for phase in phases.values():
        assert phase["requests"] > 0
        assert phase["errors"] == 0
        # Own records only, and versions carried from one PUT phase to the next: no 412 at all.
        assert phase["statuses"] == {"200": phase["requests"]}
        assert phase["p50_ms"] <= phase["p99_ms"] <= phase["max_ms"]
        assert phase["emulator_cpu_ms_per_request"] > 0  # the bench's own emulator: its CPU time is read
    assert phases["GET /api/records/<id>"]["offered_requests_per_second"] is None
    # One second at 100 req/s offered is 100 scheduled requests: each either answered or counted missed.
    fixed = phases["GET /api/records/<id> at 100 req/s"]
    assert fixed["offered_requests_per_second"] == 100
    assert fixed["requests"] + fixed["missed"] == 100
    assert "req/s" in capsys.readouterr().out


def test_an_open_loop_phase_starts_requests_on_schedule_and_times_them_from_it() -> None:
    """A server that takes 50 ms against 10 req/s offered by one client: the client falls behind, and every
    latency after the first counts the wait since its slot (coordinated omission would hide it)."""
    answered: list[float] = []

    def slow(conn: object, rng: object) -> int:
        answered.append(time.perf_counter())
        time.sleep(0.05)
        return 200

    on_time = bench.run_phase("on time", 0, [slow], seconds=0.5, rate=10).summary()
    assert on_time["requests"] + on_time["missed"] == 5
    gaps = [b - a for a, b in itertools.pairwise(answered)]
    assert all(gap >= 0.09 for gap in gaps), gaps  # 10 req/s: one start every 0.1 s, not back to back

    answered.clear()
    behind = bench.run_phase("behind", 0, [slow], seconds=0.5, rate=40)
    summary = behind.summary()
    assert summary["requests"] + summary["missed"] == 20
    assert summary["missed"] > 0
    # Latencies grow with the backlog: the last answered request waited well beyond its own 50 ms.
    assert max(behind.latencies_ms) > 2 * min(behind.latencies_ms)


def test_bench_refuses_a_non_loopback_endpoint(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        bench.main(["--endpoint", "http://10.0.0.8:4566", "--out", str(tmp_path / "r.json")])
    assert exc.value.code == 2


def test_percentile_is_the_nearest_rank() -> None:
    hundred = [float(n) for n in range(100, 0, -1)]  # 100 .. 1, unsorted on purpose
    assert bench.percentile(hundred, 0.99) == 99.0
    assert bench.percentile(hundred, 0.50) == 50.0
    assert bench.percentile(hundred, 1.0) == 100.0
    assert bench.percentile([7.0], 0.99) == 7.0
    # Ten values: the 99th percentile is the largest (no value has 99 % at or below it before the tenth).
    assert bench.percentile([float(n) for n in range(1, 11)], 0.99) == 10.0
