"""Replication lag observed end to end: every process stamps its region's heartbeat item each interval;
the age of a peer's freshest heartbeat, as seen from here, bounds the replication lag from that peer
(true lag <= age <= true lag + one interval)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .store import LATEST

log = logging.getLogger("monolith.heartbeat")


def heartbeat_id(region: str) -> str:
    return f"__heartbeat__#{region}"


@dataclass(frozen=True)
class PeerLag:
    region: str
    lag_ms: int | None
    status: str  # ok | stale | missing

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "lag_ms": self.lag_ms, "status": self.status}


class Heartbeat:
    def __init__(
        self,
        client: Any,
        table: str,
        region: str,
        peers: tuple[str, ...],
        *,
        instance_id: str,
        ttl_s: int,
        alarm_ms: int,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self.client = client
        self.table = table
        self.region = region
        self.peers = peers
        self.instance_id = instance_id
        self.ttl_s = ttl_s
        self.alarm_ms = alarm_ms
        self._clock_ms = clock_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        now = self._clock_ms()
        self.client.put_item(
            TableName=self.table,
            Item={
                "id": {"S": heartbeat_id(self.region)},
                "version": {"S": LATEST},
                "region": {"S": self.region},
                "ts_ms": {"N": str(now)},
                "instance_id": {"S": self.instance_id},
                # TTL so heartbeats of a destroyed region do not linger as fake "lag".
                "expires_at": {"N": str(now // 1000 + self.ttl_s)},
            },
        )

    def lags(self) -> list[PeerLag]:
        if not self.peers:
            return []
        resp = self.client.batch_get_item(
            RequestItems={
                self.table: {
                    "Keys": [{"id": {"S": heartbeat_id(p)}, "version": {"S": LATEST}} for p in self.peers],
                }
            }
        )
        seen = {i["region"]["S"]: int(i["ts_ms"]["N"]) for i in resp.get("Responses", {}).get(self.table, [])}
        now = self._clock_ms()
        out = []
        for peer in self.peers:
            if peer not in seen:
                out.append(PeerLag(peer, None, "missing"))
                continue
            lag = max(0, now - seen[peer])
            out.append(PeerLag(peer, lag, "ok" if lag <= self.alarm_ms else "stale"))
        return out

    def start(self, interval_s: float) -> None:
        if self._thread is not None or interval_s <= 0:
            return
        self._thread = threading.Thread(target=self._run, args=(interval_s,), name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:
                # A failed beat must never kill the thread: the lag it causes is exactly what peers report.
                log.warning("heartbeat write failed", exc_info=True)
            self._stop.wait(interval_s)
