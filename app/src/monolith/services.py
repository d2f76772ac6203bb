"""The per-app objects the blueprints share, kept on app.extensions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from .config import Config
from .heartbeat import Heartbeat
from .metrics import Metrics
from .store import RecordStore


@dataclass
class Services:
    config: Config
    store: RecordStore
    ready_store: RecordStore
    heartbeat: Heartbeat
    metrics: Metrics = field(default_factory=Metrics)
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, "readyz"))

    def info(self) -> dict[str, Any]:
        c = self.config
        return {
            "region": c.region,
            "availability_zone": c.availability_zone,
            "instance_id": c.instance_id,
            "colour": c.colour,
            "version": c.version,
            "peer_regions": list(c.peer_regions),
        }


def services() -> Services:
    svc: Services = current_app.extensions["monolith"]
    return svc
