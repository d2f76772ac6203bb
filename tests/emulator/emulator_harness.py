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
from pathlib import Path
from typing import Any

import boto3

REPO = Path(__file__).resolve().parents[2]
REGIONS = ("us-west-2", "eu-west-1", "ap-southeast-2")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def emulator_client(url: str, service: str, region: str = "us-west-2") -> Any:
    """A boto3 client for the emulator at `url`, with its throw-away credentials."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class Emulator:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO / "local"),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            **(extra_env or {}),
        }
        # A file, not a pipe: werkzeug logs every request and a full pipe would block the server.
        self.log = tempfile.NamedTemporaryFile(prefix="emulator-", suffix=".log")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
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

    def calls(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_emulator/calls", timeout=2) as resp:
            return dict(json.load(resp))

    def reset_calls(self) -> None:
        req = urllib.request.Request(f"{self.url}/_emulator/calls/reset", method="POST")
        urllib.request.urlopen(req, timeout=2).close()

    def client(self, service: str, region: str = "us-west-2") -> Any:
        return emulator_client(self.url, service, region)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
