"""local/bin/emulator: idempotent start, status, stop, and a clear error when the port is taken."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from emulator_harness import REPO, free_port

SCRIPT = REPO / "local" / "bin" / "emulator"


def _run(command: str, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EMULATOR_PORT": str(port), "EMULATOR_PYTHON": sys.executable}
    return subprocess.run([str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_start_is_idempotent_and_stop_is_safe() -> None:
    port = free_port()
    pid_file = Path(REPO, "build", "emulator", f"emulator-{port}.pid")
    try:
        first = _run("start", port)
        assert first.returncode == 0, first.stderr
        assert pid_file.exists()
        again = _run("start", port)
        assert again.returncode == 0
        assert "already running" in again.stdout
        assert _run("status", port).returncode == 0
    finally:
        stopped = _run("stop", port)
    assert stopped.returncode == 0
    assert not pid_file.exists()
    assert _run("stop", port).returncode == 0
    assert _run("status", port).returncode == 3


def test_start_refuses_a_port_held_by_something_else() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        result = _run("start", squatter.getsockname()[1])
    assert result.returncode != 0
    assert "held by another program" in result.stderr
