"""Local stand-ins for bootstrap's tests, on 127.0.0.1: an IMDSv2 server, and the project's AWS emulator."""

from __future__ import annotations

import importlib.util
import secrets
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
APP_SRC = REPO / "app" / "src"
EMULATOR_PATH = REPO / "local"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeImds:
    """IMDSv2 as EC2 answers it: PUT /latest/api/token first; a GET without a valid token gets 401."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = dict(values)
        self.tokens: set[str] = set()
        self.token_requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                if self.path != "/latest/api/token" or not self.headers.get(
                    "X-aws-ec2-metadata-token-ttl-seconds"
                ):
                    self._answer(400, "")
                    return
                token = secrets.token_hex(8)
                fake.tokens.add(token)
                fake.token_requests += 1
                self._answer(200, token)

            def do_GET(self) -> None:
                if self.headers.get("X-aws-ec2-metadata-token") not in fake.tokens:
                    self._answer(401, "")
                    return
                key = self.path.removeprefix("/latest/meta-data/")
                value = fake.values.get(key)
                self._answer(200 if value is not None else 404, value or "")

            def _answer(self, code: int, body: str) -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def load_emulator_harness() -> Any:
    """The emulator tests' harness (tests/emulator/emulator_harness.py): one way to run the emulator."""
    path = REPO / "tests" / "emulator" / "emulator_harness.py"
    spec = importlib.util.spec_from_file_location("emulator_harness", path)
    if spec is None or spec.loader is None or not (EMULATOR_PATH / "emulator").is_dir():
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def credentials() -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
