"""The data plane package (local/dataplane) and the playbook runner are importable; HAProxy is installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parents[1]
for path in (_TESTS.parent / "local", _TESTS / "playbooks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(scope="session", autouse=True)
def haproxy_installed() -> None:
    """HAProxy is the data plane's proxy; the wrapper installs Debian's package when it is missing."""
    script = _TESTS.parent / "local" / "bin" / "dataplane"
    proc = subprocess.run([str(script), "ensure-haproxy"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
