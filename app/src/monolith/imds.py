"""A minimal EC2 instance metadata (IMDSv2) client: token first, then reads with the token.

The launch template requires IMDSv2 (HttpTokens=required), so a plain GET without a token is refused with
401. The base URL is configurable (APP_IMDS_URL) so a local stand-in can answer in local mode and tests.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

DEFAULT_URL = "http://169.254.169.254"
TOKEN_TTL_S = 21600  # the maximum IMDS allows; the token is refreshed on a 401 anyway


class ImdsError(Exception):
    pass


@dataclass(frozen=True)
class Identity:
    instance_id: str
    availability_zone: str
    region: str


class Imds:
    def __init__(self, base_url: str = DEFAULT_URL, *, timeout_s: float = 2.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ImdsError(f"APP_IMDS_URL must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._token: str | None = None

    def _open(self, path: str, headers: dict[str, str], method: str = "GET") -> str:
        # The scheme was checked in __init__; the address is the operator's, never user input.
        req = urllib.request.Request(f"{self.base_url}{path}", headers=headers, method=method)  # noqa: S310
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310
            return str(resp.read().decode())

    def token(self) -> str:
        headers = {"X-aws-ec2-metadata-token-ttl-seconds": str(TOKEN_TTL_S)}
        try:
            self._token = self._open("/latest/api/token", headers, method="PUT").strip()
        except (urllib.error.URLError, OSError) as exc:
            raise ImdsError(f"IMDS token request failed: {exc}") from exc
        return self._token

    def get(self, path: str) -> str | None:
        """The value at /latest/meta-data/<path>; None when IMDS has no such path (404)."""
        for attempt in range(2):
            token = self._token or self.token()
            try:
                return self._open(f"/latest/meta-data/{path}", {"X-aws-ec2-metadata-token": token}).strip()
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return None
                if exc.code == 401 and attempt == 0:
                    self._token = None  # expired or revoked: fetch a new one once
                    continue
                raise ImdsError(f"IMDS {path}: HTTP {exc.code}") from exc
            except (urllib.error.URLError, OSError) as exc:
                raise ImdsError(f"IMDS {path}: {exc}") from exc
        raise ImdsError(f"IMDS {path}: token refused twice")

    def required(self, path: str) -> str:
        value = self.get(path)
        if not value:
            raise ImdsError(f"IMDS has no {path}")
        return value

    def identity(self) -> Identity:
        return Identity(
            instance_id=self.required("instance-id"),
            availability_zone=self.required("placement/availability-zone"),
            region=self.required("placement/region"),
        )

    def wait_identity(self, deadline_s: float, *, interval_s: float = 1.0) -> Identity:
        """IMDS can lag the first seconds of a boot; retry until the deadline, then raise the last error."""
        give_up = time.monotonic() + deadline_s
        while True:
            try:
                return self.identity()
            except ImdsError:
                if time.monotonic() >= give_up:
                    raise
            time.sleep(interval_s)

    def target_lifecycle_state(self) -> str | None:
        """Auto Scaling's target state (InService, Terminated, ...); None outside an ASG."""
        return self.get("autoscaling/target-lifecycle-state")
