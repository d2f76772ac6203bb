"""Run one of the collection's modules, as Ansible runs it, against an emulator on loopback."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ANSIBLE = REPO / ".venv" / "bin" / "ansible"


@dataclass
class ModuleResult:
    """What the module returned (its JSON result), plus Ansible's changed/failed flags."""

    result: dict[str, Any]

    @property
    def changed(self) -> bool:
        return bool(self.result.get("changed"))

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))

    @property
    def msg(self) -> str:
        return str(self.result.get("msg", ""))

    def __getitem__(self, key: str) -> Any:
        return self.result[key]


def run_module(
    endpoint: str,
    module: str,
    args: dict[str, Any],
    *,
    region: str = "us-west-2",
    check: bool = False,
    diff: bool = False,
) -> ModuleResult:
    """`ansible localhost -m tricontinent.activeactive.<module>` with `args`, every AWS call aimed at `endpoint`."""
    assert endpoint.startswith("http://127."), "module tests only ever talk to a loopback emulator"
    full_args = {
        "endpoint_url": endpoint,
        "access_key": "testing",
        "secret_key": "testing",
        "aws_region": region,
        **args,
    }
    cmd = [
        str(ANSIBLE),
        "localhost",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={REPO / '.venv' / 'bin' / 'python'}",
        "-m",
        module if "." in module else f"tricontinent.activeactive.{module}",
        "-a",
        json.dumps(full_args),
    ]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_NOCOLOR": "1",
    }
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        doc = json.loads(proc.stdout)
        result = doc["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(f"no JSON result from ansible:\n{proc.stdout}\n{proc.stderr}") from exc
    return ModuleResult(dict(result))
