"""Run the project's playbooks against an emulator and read their results."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = REPO / ".venv" / "bin" / "ansible-playbook"
_RECAP = re.compile(
    r"^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=\d+\s+failed=(?P<failed>\d+)"
)


@dataclass
class PlaybookRun:
    returncode: int
    output: str

    @property
    def recap(self) -> dict[str, dict[str, int]]:
        hosts: dict[str, dict[str, int]] = {}
        for line in self.output.splitlines():
            match = _RECAP.match(line)
            if match:
                hosts[match["host"]] = {k: int(match[k]) for k in ("ok", "changed", "failed")}
        return hosts

    @property
    def changed(self) -> dict[str, int]:
        return {host: counts["changed"] for host, counts in self.recap.items()}


def run_playbook(endpoint: str, playbook: str, *args: str, inventory: Path | None = None) -> PlaybookRun:
    """ansible-playbook from the repository root with every AWS call aimed at `endpoint` (loopback)."""
    assert endpoint.startswith("http://127."), "playbook tests only ever talk to a loopback emulator"
    cmd = [str(ANSIBLE_PLAYBOOK), playbook, "-e", f"aws_endpoint_url={endpoint}", *args]
    if inventory is not None:
        cmd += ["-i", str(inventory)]
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800, check=False
    )
    return PlaybookRun(proc.returncode, proc.stdout + proc.stderr)
