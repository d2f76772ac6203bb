"""The load benchmark runs end to end and writes its results; nothing here asserts on speed."""

from __future__ import annotations

import importlib.util
import json
import sys
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
    assert set(results["phases"]) == {"GET /api/records/<id>", "PUT /api/records/<id>"}
    for phase in results["phases"].values():
        assert phase["requests"] > 0
        assert phase["errors"] == 0
        assert phase["statuses"] == {"200": phase["requests"]}  # own records only: no 412 between clients
        assert phase["p50_ms"] <= phase["p99_ms"] <= phase["max_ms"]
    assert "req/s" in capsys.readouterr().out


def test_bench_refuses_a_non_loopback_endpoint(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        bench.main(["--endpoint", "http://10.0.0.8:4566", "--out", str(tmp_path / "r.json")])
    assert exc.value.code == 2
