"""A stand-in for the EC2 instance metadata service (IMDSv2), one URL prefix per instance.

Instance i-abc reads ``http://127.0.0.1:<port>/i-abc/latest/...`` (its APP_IMDS_URL) and gets what EC2's
IMDS would give it: a session token from ``PUT /latest/api/token`` (the TTL header required, as AWS does), and
with that token ``meta-data/instance-id``, ``placement/availability-zone``, ``placement/region`` and
``autoscaling/target-lifecycle-state``. A read without a valid token is 401, an unknown path 404, as on EC2
with HttpTokens=required. See https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .cloud import Instance
from .topology import LOOPBACK

Lookup = Callable[[str], Instance | None]


def metadata(instance: Instance) -> dict[str, str]:
    return {
        "instance-id": instance.instance_id,
        "placement/availability-zone": instance.availability_zone,
        "placement/region": instance.aws_region,
        "autoscaling/target-lifecycle-state": instance.target_lifecycle_state,
    }


class ImdsServer:
    def __init__(self, port: int, lookup: Lookup) -> None:
        self.lookup = lookup
        self.tokens: dict[str, str] = {}  # token -> instance id
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((LOOPBACK, port), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="imds", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def issue(self, instance_id: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = instance_id
        return token

    def holder(self, token: str) -> str | None:
        with self._lock:
            return self.tokens.get(token)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _reply(self, code: int, body: str = "") -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _split(self) -> tuple[str, str]:
                _, instance_id, rest = self.path.split("/", 2) if self.path.count("/") >= 2 else ("", "", "")
                return instance_id, "/" + rest

            def do_PUT(self) -> None:
                instance_id, path = self._split()
                if path != "/latest/api/token" or server.lookup(instance_id) is None:
                    self._reply(404)
                elif not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    self._reply(400, "X-aws-ec2-metadata-token-ttl-seconds is required")
                else:
                    self._reply(200, server.issue(instance_id))

            def do_GET(self) -> None:
                instance_id, path = self._split()
                instance = server.lookup(instance_id)
                if instance is None:
                    self._reply(404)
                    return
                if server.holder(self.headers.get("X-aws-ec2-metadata-token", "")) != instance_id:
                    self._reply(401)
                    return
                value = metadata(instance).get(path.removeprefix("/latest/meta-data/"))
                if value is None or not path.startswith("/latest/meta-data/"):
                    self._reply(404)
                else:
                    self._reply(200, value)

        return Handler
