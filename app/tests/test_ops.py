from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient

from conftest import REGION, TABLE, make_config
from monolith import Config, create_app
from monolith.heartbeat import Heartbeat, heartbeat_id


def test_info_reports_identity(client: FlaskClient) -> None:
    body = client.get("/api/info").get_json()
    assert body == {
        "region": "us-west-2",
        "availability_zone": "us-west-2a",
        "instance_id": "i-0123456789abcdef0",
        "colour": "blue",
        "version": "1.2.3",
        "peer_regions": ["eu-west-1", "ap-southeast-2"],
    }


def test_healthz(client: FlaskClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "ok"


def test_readyz_ok_when_table_answers(client: FlaskClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "ready"


def test_readyz_503_when_table_missing(ddb: Any) -> None:
    app = create_app(
        make_config(table_name="no-such-table"), client=ddb, ready_client=ddb, start_heartbeat=False
    )
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "table unavailable"


class _SlowClient:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.release = threading.Event()

    def get_item(self, **_kwargs: Any) -> dict[str, Any]:
        self.release.wait(self.delay)
        return {}


def test_readyz_503_when_table_misses_the_deadline(ddb: Any) -> None:
    slow = _SlowClient(delay=5)
    app = create_app(make_config(ready_timeout_s=0.2), client=ddb, ready_client=slow, start_heartbeat=False)
    started = time.monotonic()
    resp = app.test_client().get("/readyz")
    elapsed = time.monotonic() - started
    slow.release.set()
    assert resp.status_code == 503
    assert "did not answer within 0.2s" in resp.get_json()["status"]
    assert elapsed < 2


def test_readyz_503_while_draining(ddb: Any, tmp_path: Path) -> None:
    drain = tmp_path / "drain"
    app = create_app(make_config(drain_file=str(drain)), client=ddb, ready_client=ddb, start_heartbeat=False)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    drain.touch()
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "draining"
    assert client.get("/healthz").status_code == 200  # liveness is unaffected by draining


def _peer_heartbeat(ddb: Any, region: str, age_ms: int) -> None:
    now_ms = time.time_ns() // 1_000_000
    beat = Heartbeat(
        ddb,
        TABLE,
        region,
        (),
        instance_id="i-peer",
        ttl_s=60,
        alarm_ms=3000,
        clock_ms=lambda: now_ms - age_ms,
    )
    beat.beat()


def test_replication_reports_lag_per_peer(client: FlaskClient, ddb: Any) -> None:
    _peer_heartbeat(ddb, "eu-west-1", age_ms=400)
    _peer_heartbeat(ddb, "ap-southeast-2", age_ms=9000)
    body = client.get("/api/replication").get_json()
    peers = {p["region"]: p for p in body["peers"]}
    assert body["region"] == REGION
    assert 400 <= peers["eu-west-1"]["lag_ms"] < 3000
    assert peers["eu-west-1"]["status"] == "ok"
    assert peers["ap-southeast-2"]["lag_ms"] >= 9000
    assert peers["ap-southeast-2"]["status"] == "stale"
    assert body["healthy"] is False


def test_replication_reports_missing_peer(client: FlaskClient, ddb: Any) -> None:
    _peer_heartbeat(ddb, "eu-west-1", age_ms=10)
    peers = {p["region"]: p for p in client.get("/api/replication").get_json()["peers"]}
    assert peers["ap-southeast-2"] == {"region": "ap-southeast-2", "lag_ms": None, "status": "missing"}


def test_heartbeat_item_has_ttl_attribute(ddb: Any) -> None:
    Heartbeat(ddb, TABLE, REGION, (), instance_id="i-1", ttl_s=60, alarm_ms=3000).beat()
    item = ddb.get_item(TableName=TABLE, Key={"id": {"S": heartbeat_id(REGION)}, "version": {"S": "v0"}})[
        "Item"
    ]
    assert item["id"]["S"] == "__heartbeat__#us-west-2"
    assert int(item["expires_at"]["N"]) > time.time() + 30
    assert item["instance_id"]["S"] == "i-1"


def test_background_heartbeat_thread_writes_every_interval(ddb: Any) -> None:
    app = create_app(make_config(heartbeat_interval_s=0.05), client=ddb, ready_client=ddb)
    svc = app.extensions["monolith"]
    key = {"id": {"S": heartbeat_id(REGION)}, "version": {"S": "v0"}}
    try:
        deadline = time.monotonic() + 3
        stamps: set[str] = set()
        while len(stamps) < 3 and time.monotonic() < deadline:
            item = ddb.get_item(TableName=TABLE, Key=key).get("Item")
            if item:
                stamps.add(item["ts_ms"]["N"])
            time.sleep(0.02)
    finally:
        svc.heartbeat.stop()
    assert len(stamps) >= 3


def test_metrics_prometheus_text(client: FlaskClient, ddb: Any) -> None:
    _peer_heartbeat(ddb, "eu-west-1", age_ms=250)
    client.get("/healthz")
    client.get("/api/records/nope")
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.content_type.startswith("text/plain")
    text = resp.get_data(as_text=True)
    assert "# TYPE monolith_http_requests_total counter" in text
    assert 'monolith_http_requests_total{route="/healthz",method="GET",status="200"} 1' in text
    assert (
        'monolith_http_requests_total{route="/api/records/<record_id>",method="GET",status="404"} 1' in text
    )
    assert "# TYPE monolith_http_request_duration_seconds histogram" in text
    hist = "monolith_http_request_duration_seconds"
    assert f'{hist}_bucket{{route="/healthz",method="GET",status="200",le="+Inf"}} 1' in text
    assert f'{hist}_count{{route="/healthz",method="GET",status="200"}} 1' in text
    assert f'{hist}_count{{route="/api/records/<record_id>",method="GET",status="404"}} 1' in text
    lag = re.search(
        r"monolith_replication_lag_milliseconds"
        r'\{source_region="eu-west-1",destination_region="us-west-2"\} (\d+)',
        text,
    )
    assert lag is not None
    assert int(lag.group(1)) >= 250
    assert 'monolith_info{availability_zone="us-west-2a",colour="blue"' in text
    # Every non-comment line is "name{labels} value" with a numeric value.
    for line in text.splitlines():
        if not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])


def test_metrics_survive_table_outage(ddb: Any) -> None:
    app = create_app(make_config(table_name="gone"), client=ddb, ready_client=ddb, start_heartbeat=False)
    resp = app.test_client().get("/metrics")
    assert resp.status_code == 200
    assert "monolith_http_requests_total" in resp.get_data(as_text=True)


def test_page_shows_identity_lag_and_records_with_history(client: FlaskClient, ddb: Any) -> None:
    _peer_heartbeat(ddb, "eu-west-1", age_ms=120)
    rid = client.post("/api/records", json={"title": "<script>alert(1)</script>"}).get_json()["id"]
    client.put(f"/api/records/{rid}", json={"title": "second"}, headers={"If-Match": "1"})
    other = client.post("/api/records", json={"title": "other"}).get_json()["id"]
    client.delete(f"/api/records/{other}")
    resp = client.get("/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert resp.content_type.startswith("text/html")
    assert '<strong id="region">us-west-2</strong>' in html
    assert 'id="colour" class="badge blue">blue<' in html
    assert '<strong id="version">1.2.3</strong>' in html
    assert "<td>eu-west-1</td>" in html
    assert "<td>ap-southeast-2</td><td>\N{EN DASH}</td><td>missing</td>" in html
    assert f'id="record-{rid}"' in html
    assert "v000002#us-west-2" in html
    assert "v000001#us-west-2" in html
    assert "<script>" not in html  # record data is escaped
    assert f'id="record-{other}"' not in html  # deleted records are not listed


def test_page_without_records(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'id="no-records"' in html


def test_page_503_when_table_unavailable(ddb: Any) -> None:
    app = create_app(make_config(table_name="gone"), client=ddb, ready_client=ddb, start_heartbeat=False)
    resp = app.test_client().get("/")
    assert resp.status_code == 503
    assert 'id="error"' in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "APP_TABLE_NAME is required"),
        ({"APP_TABLE_NAME": "t", "AWS_REGION": "mars"}, "not an AWS region"),
        (
            {"APP_TABLE_NAME": "t", "AWS_REGION": "us-west-2", "APP_MAX_BODY_BYTES": "500000"},
            "APP_MAX_BODY_BYTES",
        ),
        (
            {"APP_TABLE_NAME": "t", "AWS_REGION": "us-west-2", "APP_PEER_REGIONS": "us-west-2"},
            "must not contain",
        ),
        (
            {"APP_TABLE_NAME": "t", "AWS_REGION": "us-west-2", "APP_READY_TIMEOUT_SECONDS": "x"},
            "must be a number",
        ),
    ],
)
def test_bad_configuration_fails_at_startup(env: dict[str, str], message: str) -> None:
    from monolith.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        Config.from_env(env)


def test_config_from_env_reads_every_variable() -> None:
    cfg = Config.from_env(
        {
            "APP_TABLE_NAME": "t",
            "AWS_REGION": "eu-west-1",
            "APP_PEER_REGIONS": "us-west-2, ap-southeast-2",
            "APP_COLOUR": "green",
            "APP_VERSION": "9",
            "APP_INSTANCE_ID": "i-9",
            "APP_AZ": "eu-west-1b",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "APP_MAX_BODY_BYTES": "1000",
            "APP_DRAIN_FILE": "/run/x/drain",
        }
    )
    assert cfg.peer_regions == ("us-west-2", "ap-southeast-2")
    assert (cfg.colour, cfg.version, cfg.instance_id, cfg.availability_zone) == (
        "green",
        "9",
        "i-9",
        "eu-west-1b",
    )
    assert cfg.endpoint_url is None  # left to boto3's own AWS_ENDPOINT_URL handling
    assert cfg.max_body_bytes == 1000
    assert cfg.drain_file == "/run/x/drain"


def test_create_app_from_environment(monkeypatch: pytest.MonkeyPatch, aws: None) -> None:
    from conftest import create_table

    create_table(boto3.client("dynamodb", region_name="eu-west-1"))
    monkeypatch.setenv("APP_TABLE_NAME", TABLE)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("APP_HEARTBEAT_INTERVAL_SECONDS", "0")
    app: Flask = create_app()
    client = app.test_client()
    assert client.get("/api/info").get_json()["region"] == "eu-west-1"
    assert client.get("/readyz").status_code == 200
    assert client.post("/api/records", json={"a": 1}).status_code == 201


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, "http://127.0.0.1:4566"),
        (
            {
                "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
                "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:4599",
            },
            "http://127.0.0.1:4599",
        ),
        ({}, "https://dynamodb.eu-west-1.amazonaws.com"),
    ],
)
def test_dynamodb_client_honours_endpoint_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    from monolith import dynamodb_client

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cfg = Config.from_env({"APP_TABLE_NAME": "t", "AWS_REGION": "eu-west-1"})
    assert dynamodb_client(cfg).meta.endpoint_url == expected
