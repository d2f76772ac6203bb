"""Run the project's playbooks against an emulator and read their results."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
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


def _command(endpoint: str, playbook: str, args: tuple[str, ...], inventory: Path | None) -> list[str]:
    assert endpoint.startswith("http://127."), "playbook tests only ever talk to a loopback emulator"
    cmd = [str(ANSIBLE_PLAYBOOK), playbook, "-e", f"aws_endpoint_url={endpoint}", *args]
    if inventory is not None:
        cmd += ["-i", str(inventory)]
    return cmd


def _env(extra_env: dict[str, str] | None) -> dict[str, str]:
    return {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        **(extra_env or {}),
    }


def run_playbook(
    endpoint: str,
    playbook: str,
    *args: str,
    inventory: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> PlaybookRun:
    """ansible-playbook from the repository root with every AWS call aimed at `endpoint` (loopback)."""
    proc = subprocess.run(
        _command(endpoint, playbook, args, inventory),
        cwd=REPO,
        env=_env(extra_env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    return PlaybookRun(proc.returncode, proc.stdout + proc.stderr)


class RunningPlaybook:
    """ansible-playbook started in the background, in a process group of its own as a terminal starts it, so
    `interrupt` is a Ctrl-C: SIGINT to the whole group (ansible-playbook, its workers and their modules)."""

    def __init__(
        self,
        endpoint: str,
        playbook: str,
        *args: str,
        inventory: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        # A file, not a pipe: nobody reads the output until the run ends, and a full pipe would block it.
        self._out = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            _command(endpoint, playbook, args, inventory),
            cwd=REPO,
            env=_env(extra_env),
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.proc.poll() is None

    def interrupt(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)

    def wait(self, timeout: float = 1800) -> PlaybookRun:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._out.seek(0)
        output = self._out.read()
        self._out.close()
        return PlaybookRun(self.proc.returncode, output)
