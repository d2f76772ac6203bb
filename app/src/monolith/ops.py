"""Operational endpoints: /api/info, /api/replication, /healthz, /readyz, /metrics."""

from __future__ import annotations

import logging
import os
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, Response, jsonify

from .heartbeat import PeerLag
from .services import Services, services

bp = Blueprint("ops", __name__)
log = logging.getLogger("monolith.ops")


@bp.get("/api/info")
def info() -> Response:
    return jsonify(services().info())


@bp.get("/healthz")
def healthz() -> Response:
    # Liveness only: a DynamoDB outage must not make the ASG replace every instance.
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    svc = services()
    drain = svc.config.drain_file
    if drain and os.path.exists(drain):
        return _status(503, "draining")
    future = svc.executor.submit(svc.ready_store.ping)
    try:
        future.result(timeout=svc.config.ready_timeout_s)
    except FutureTimeout:
        return _status(503, f"table did not answer within {svc.config.ready_timeout_s}s")
    except Exception as exc:
        log.warning("readiness check failed", extra={"error": repr(exc)})
        return _status(503, "table unavailable")
    return _status(200, "ready")


def _status(code: int, status: str) -> Response:
    resp = jsonify({"status": status, "code": code})
    resp.status_code = code
    return resp


def current_lags(svc: Services) -> list[PeerLag]:
    lags = svc.heartbeat.lags()
    for lag in lags:
        svc.metrics.set_lag(lag.region, svc.config.region, lag.lag_ms)
    return lags


@bp.get("/api/replication")
def replication() -> Response:
    svc = services()
    lags = current_lags(svc)
    body: dict[str, Any] = {
        "region": svc.config.region,
        "alarm_ms": svc.config.lag_alarm_ms,
        "peers": [lag.to_json() for lag in lags],
        "healthy": all(lag.status == "ok" for lag in lags),
    }
    return jsonify(body)


@bp.get("/metrics")
def metrics() -> Response:
    svc = services()
    try:
        current_lags(svc)
    except Exception as exc:
        # Scrapes must keep working when the table does not: the last known lag stays exported.
        log.warning("lag refresh failed", extra={"error": repr(exc)})
    info = {k: str(v) for k, v in svc.info().items() if k != "peer_regions"}
    return Response(svc.metrics.render(info), mimetype="text/plain", content_type="text/plain; version=0.0.4")
