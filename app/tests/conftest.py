from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient
from moto import mock_aws

from monolith import Config, create_app
from monolith.store import TABLE_KEYS

REGION = "us-west-2"
PEERS = ("eu-west-1", "ap-southeast-2")
TABLE = "monolith-records"


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Never let a developer's real credentials or endpoint leak into a test.
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


def create_table(client: Any, name: str = TABLE) -> None:
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **TABLE_KEYS)


def make_config(**overrides: Any) -> Config:
    values: dict[str, Any] = {
        "table_name": TABLE,
        "region": REGION,
        "peer_regions": PEERS,
        "colour": "blue",
        "version": "1.2.3",
        "instance_id": "i-0123456789abcdef0",
        "availability_zone": "us-west-2a",
        "heartbeat_interval_s": 0,
        "max_body_bytes": 4096,
    }
    values.update(overrides)
    return Config(**values)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def ddb(aws: None) -> Any:
    client = boto3.client("dynamodb", region_name=REGION)
    create_table(client)
    return client


@pytest.fixture
def app(ddb: Any) -> Flask:
    return create_app(make_config(), client=ddb, ready_client=ddb, start_heartbeat=False)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def replicate_history_item(
    ddb: Any, record_id: str, number: int, region: str, *, data: Any, supersedes: list[str]
) -> None:
    """What global-table replication does: a history item another region wrote appears in ours."""
    ddb.put_item(
        TableName=TABLE,
        Item={
            "id": {"S": record_id},
            "version": {"S": f"v{number:06d}#{region}"},
            "number": {"N": str(number)},
            "region": {"S": region},
            "deleted": {"BOOL": False},
            "written_ns": {"N": "1700000000000000000"},
            "writer": {"S": f"v{number:06d}#{region}"},
            "supersedes": {"L": [{"S": s} for s in supersedes]},
            "data": {"S": json.dumps(data)},
        },
    )
