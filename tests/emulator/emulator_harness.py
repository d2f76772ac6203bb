"""Start the emulator as a subprocess on a free 127.0.0.1 port and build boto3 clients against it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
REGIONS = ("us-west-2", "eu-west-1", "ap-southeast-2")


def eventually(check: Callable[[], Any], timeout: float = 3.0) -> Any:
    """`check()`'s result once it stops raising AssertionError, polling for up to `timeout` s (for what the
    emulator does in the background, like global-table replication); its last AssertionError after that."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def emulator_client(url: str, service: str, region: str = "us-west-2", config: Config | None = None) -> Any:
    """A boto3 client for the emulator at `url`, with its throw-away credentials."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


class Emulator:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO / "local"),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            **(extra_env or {}),
        }
        # A file, not a pipe: werkzeug logs every request and a full pipe would block the server.
        self.log = tempfile.NamedTemporaryFile(prefix="emulator-", suffix=".log")  # noqa: SIM115
        self.start()

    def start(self) -> None:
        """Start the server on this emulator's port and wait until it answers (again after `kill`)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.calls()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    out = Path(self.log.name).read_text(errors="replace")
                    self.stop()
                    raise RuntimeError(f"emulator did not start:\n{out}") from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a crash: moto keeps its state in memory only, so `start` afterwards is an empty cloud."""
        self.proc.kill()
        self.proc.wait(timeout=10)

    def calls(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_emulator/calls", timeout=2) as resp:
            return dict(json.load(resp))

    def reset_calls(self) -> None:
        req = urllib.request.Request(f"{self.url}/_emulator/calls/reset", method="POST")
        urllib.request.urlopen(req, timeout=2).close()

    def set_fault(
        self,
        region: str,
        service: str = "*",
        status: int = 503,
        code: str = "ServiceUnavailable",
        mutating_only: bool = False,
        message: str | None = None,
    ) -> dict[str, Any]:
        """Make matching requests answer an AWS error (local/emulator/faults.py); returns the fault."""
        spec: dict[str, Any] = {
            "region": region,
            "service": service,
            "status": status,
            "code": code,
            "mutating_only": mutating_only,
        }
        if message is not None:
            spec["message"] = message
        return dict(self._faults_call("POST", spec)["fault"])

    def faults(self) -> list[dict[str, Any]]:
        return list(self._faults_call("GET")["faults"])

    def clear_faults(self) -> None:
        self._faults_call("DELETE")

    def _faults_call(self, method: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(spec).encode() if spec is not None else None
        req = urllib.request.Request(
            f"{self.url}/_emulator/faults", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            return dict(json.load(resp))

    def client(self, service: str, region: str = "us-west-2", config: Config | None = None) -> Any:
        return emulator_client(self.url, service, region, config)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
