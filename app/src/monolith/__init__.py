"""monolith: a versioned records service served active-active from several AWS regions."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api, errors, logs, ops, web
from .config import Config
from .heartbeat import Heartbeat
from .services import Services
from .store import RecordStore

__all__ = ["Config", "create_app"]

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
access_log = logging.getLogger("monolith.access")


def dynamodb_client(config: Config, *, timeout_s: float | None = None, attempts: int = 3) -> Any:
    import boto3  # noqa: PLC0415 -- keeps `import monolith` cheap for the bootstrap CLI
    from botocore.config import Config as BotoConfig  # noqa: PLC0415

    boto_config = BotoConfig(
        retries={"mode": "standard", "max_attempts": attempts},
        connect_timeout=timeout_s or 2,
        read_timeout=timeout_s or 5,
    )
    return boto3.client(
        "dynamodb", region_name=config.region, endpoint_url=config.endpoint_url, config=boto_config
    )


def create_app(
    config: Config | Mapping[str, str] | None = None,
    *,
    client: Any = None,
    ready_client: Any = None,
    start_heartbeat: bool = True,
) -> Flask:
    """Build the app. ``config`` is a Config, an env-like mapping, or None for os.environ."""
    cfg = config if isinstance(config, Config) else Config.from_env(config)
    logs.configure(cfg.log_level)
    client = client if client is not None else dynamodb_client(cfg)
    if ready_client is None:
        ready_client = dynamodb_client(cfg, timeout_s=cfg.ready_timeout_s, attempts=1)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = cfg.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # Exactly one proxy (the ALB) sits in front: trust one hop of X-Forwarded-For/-Proto, no more.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=0, x_port=0, x_prefix=0)  # type: ignore[method-assign]

    heartbeat = Heartbeat(
        client,
        cfg.table_name,
        cfg.region,
        cfg.peer_regions,
        instance_id=cfg.instance_id,
        ttl_s=cfg.heartbeat_ttl_s,
        alarm_ms=cfg.lag_alarm_ms,
    )
    app.extensions["monolith"] = Services(
        config=cfg,
        store=RecordStore(client, cfg.table_name, cfg.region),
        ready_store=RecordStore(ready_client, cfg.table_name, cfg.region),
        heartbeat=heartbeat,
    )
    for bp in (api.bp, ops.bp, web.bp):
        app.register_blueprint(bp)
    errors.register(app)
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_teardown)
    if start_heartbeat:
        heartbeat.start(cfg.heartbeat_interval_s)
    return app


def _before() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    rid = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
    g.request_id = rid
    g.started = time.perf_counter()
    g.rid_token = logs.request_id_var.set(rid)


def _after(resp: Response) -> Response:
    resp.headers["X-Request-Id"] = g.get("request_id", "")
    resp.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    resp.headers.setdefault("Cache-Control", "no-store")
    from .services import services  # noqa: PLC0415 -- avoids an import cycle at module load

    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    services().metrics.observe_request(route, request.method, resp.status_code, elapsed)
    access_log.info(
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "route": route,
            "status": resp.status_code,
            "duration_ms": round(elapsed * 1000, 2),
            "remote_addr": request.remote_addr,
        },
    )
    return resp


def _teardown(_exc: BaseException | None) -> None:
    token = g.pop("rid_token", None)
    if token is not None:
        logs.request_id_var.reset(token)
