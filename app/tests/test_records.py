from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from flask import Flask
from flask.testing import FlaskClient

from conftest import TABLE, make_config, replicate_history_item
from monolith import create_app


def create(client: FlaskClient, data: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = client.post("/api/records", json=data if data is not None else {"name": "first"})
    assert resp.status_code == 201, resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def put(client: FlaskClient, record_id: str, version: int | str, data: dict[str, Any]) -> Any:
    return client.put(f"/api/records/{record_id}", json=data, headers={"If-Match": f'"{version}"'})


def all_items(ddb: Any, record_id: str) -> list[str]:
    resp = ddb.query(
        TableName=TABLE,
        KeyConditionExpression="#pk = :id",
        ExpressionAttributeNames={"#pk": "id"},
        ExpressionAttributeValues={":id": {"S": record_id}},
    )
    return sorted(i["version"]["S"] for i in resp["Items"])


def test_create_returns_201_with_version_1_and_etag(client: FlaskClient, ddb: Any) -> None:
    resp = client.post("/api/records", json={"name": "a", "n": 1.5})
    body = resp.get_json()
    assert resp.status_code == 201
    assert body["version"] == 1
    assert body["etag"] == '"1"'
    assert resp.headers["ETag"] == '"1"'
    assert resp.headers["Location"] == f"/api/records/{body['id']}"
    assert body["data"] == {"name": "a", "n": 1.5}
    assert all_items(ddb, body["id"]) == ["v0", "v000001#us-west-2"]


def test_get_returns_latest_with_etag(client: FlaskClient) -> None:
    rid = create(client)["id"]
    resp = client.get(f"/api/records/{rid}")
    assert resp.status_code == 200
    assert resp.headers["ETag"] == '"1"'
    body = resp.get_json()
    assert body["data"] == {"name": "first"}
    assert body["conflicts"] == []


def test_get_unknown_is_404_json(client: FlaskClient) -> None:
    resp = client.get("/api/records/nope")
    assert resp.status_code == 404
    assert resp.is_json
    assert resp.get_json()["code"] == 404
    assert "nope" in resp.get_json()["message"]


def test_put_with_matching_if_match_creates_next_version(client: FlaskClient, ddb: Any) -> None:
    rid = create(client)["id"]
    resp = put(client, rid, 1, {"name": "second"})
    assert resp.status_code == 200
    assert resp.get_json()["version"] == 2
    assert resp.headers["ETag"] == '"2"'
    assert resp.get_json()["supersedes"] == ["v000001#us-west-2"]
    assert client.get(f"/api/records/{rid}").get_json()["data"] == {"name": "second"}
    assert all_items(ddb, rid) == ["v0", "v000001#us-west-2", "v000002#us-west-2"]


@pytest.mark.parametrize("header", ["1", '"1"', 'W/"1"'])
def test_if_match_forms_accepted(client: FlaskClient, header: str) -> None:
    rid = create(client)["id"]
    resp = client.put(f"/api/records/{rid}", json={"x": 1}, headers={"If-Match": header})
    assert resp.status_code == 200


def test_put_stale_if_match_is_412_with_current_version(client: FlaskClient) -> None:
    rid = create(client)["id"]
    assert put(client, rid, 1, {"v": 2}).status_code == 200
    resp = put(client, rid, 1, {"v": "stale"})
    assert resp.status_code == 412
    assert resp.get_json()["current_version"] == 2
    assert resp.headers["ETag"] == '"2"'
    assert client.get(f"/api/records/{rid}").get_json()["data"] == {"v": 2}


def test_put_without_if_match_is_428(client: FlaskClient) -> None:
    rid = create(client)["id"]
    resp = client.put(f"/api/records/{rid}", json={"v": 2})
    assert resp.status_code == 428
    assert "If-Match" in resp.get_json()["message"]


@pytest.mark.parametrize("header", ["abc", '"0"', "*", "1,2"])
def test_put_with_garbage_if_match_is_400(client: FlaskClient, header: str) -> None:
    rid = create(client)["id"]
    resp = client.put(f"/api/records/{rid}", json={"v": 2}, headers={"If-Match": header})
    assert resp.status_code == 400


def test_put_unknown_record_is_404(client: FlaskClient) -> None:
    assert put(client, "missing", 1, {"v": 1}).status_code == 404


def test_delete_writes_tombstone_and_keeps_history(client: FlaskClient, ddb: Any) -> None:
    rid = create(client)["id"]
    resp = client.delete(f"/api/records/{rid}")
    assert resp.status_code == 200
    assert resp.get_json()["deleted"] is True
    assert resp.get_json()["version"] == 2
    gone = client.get(f"/api/records/{rid}")
    assert gone.status_code == 404
    assert gone.get_json()["deleted"] is True
    assert all_items(ddb, rid) == ["v0", "v000001#us-west-2", "v000002#us-west-2"]
    versions = client.get(f"/api/records/{rid}/versions").get_json()["items"]
    assert [v["deleted"] for v in versions] == [True, False]
    assert client.get(f"/api/records/{rid}/versions/1").get_json()["data"] == {"name": "first"}


def test_delete_twice_is_404_and_put_after_delete_is_404(client: FlaskClient) -> None:
    rid = create(client)["id"]
    assert client.delete(f"/api/records/{rid}").status_code == 200
    assert client.delete(f"/api/records/{rid}").status_code == 404
    assert put(client, rid, 2, {"back": True}).status_code == 404


def test_delete_with_stale_if_match_is_412(client: FlaskClient) -> None:
    rid = create(client)["id"]
    put(client, rid, 1, {"v": 2})
    resp = client.delete(f"/api/records/{rid}", headers={"If-Match": "1"})
    assert resp.status_code == 412
    assert client.get(f"/api/records/{rid}").status_code == 200


def test_versions_paginate_newest_first(client: FlaskClient) -> None:
    rid = create(client, {"n": 1})["id"]
    for n in range(1, 7):
        assert put(client, rid, n, {"n": n + 1}).status_code == 200
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        resp = client.get(f"/api/records/{rid}/versions?{query}")
        assert resp.status_code == 200
        body = resp.get_json()
        assert len(body["items"]) <= 3
        seen += [v["version"] for v in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    assert pages >= 3


def test_versions_bad_limit_and_cursor_are_400(client: FlaskClient) -> None:
    rid = create(client)["id"]
    for query in ("limit=0", "limit=101", "limit=x", "cursor=!!!", "cursor=djA"):
        resp = client.get(f"/api/records/{rid}/versions?{query}")
        assert resp.status_code == 400, query


def test_versions_of_unknown_record_is_404(client: FlaskClient) -> None:
    assert client.get("/api/records/unknown/versions").status_code == 404
    assert client.get("/api/records/unknown/versions/1").status_code == 404


def test_get_single_version(client: FlaskClient) -> None:
    rid = create(client, {"n": 1})["id"]
    put(client, rid, 1, {"n": 2})
    resp = client.get(f"/api/records/{rid}/versions/1")
    assert resp.status_code == 200
    assert resp.get_json()["data"] == {"n": 1}
    assert resp.headers["ETag"] == '"1"'
    assert client.get(f"/api/records/{rid}/versions/9").status_code == 404
    assert client.get(f"/api/records/{rid}/versions/1?region=us-west-2").get_json()["data"] == {"n": 1}
    assert client.get(f"/api/records/{rid}/versions/1?region=eu-west-1").status_code == 404
    assert client.get(f"/api/records/{rid}/versions/1?region=EVIL!").status_code == 400


@pytest.mark.parametrize("bad_id", ["a" * 65, "has.dot", "sp ace", "semi;colon", "__heartbeat__%23us-west-2"])
def test_ids_outside_the_pattern_are_400(client: FlaskClient, bad_id: str) -> None:
    for method in ("get", "put", "delete"):
        resp = getattr(client, method)(f"/api/records/{bad_id}", json={}, headers={"If-Match": "1"})
        assert resp.status_code == 400, (method, bad_id)
        assert resp.is_json


def test_body_over_limit_is_413(client: FlaskClient) -> None:
    resp = client.post("/api/records", json={"blob": "x" * 5000})
    assert resp.status_code == 413
    assert resp.get_json()["code"] == 413


def test_chunked_body_over_limit_is_413(client: FlaskClient) -> None:
    # No Content-Length: the limit must still hold while the stream is read.
    payload = b'{"blob": "' + b"x" * 10_000 + b'"}'
    resp = client.post(
        "/api/records",
        input_stream=io.BytesIO(payload),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn sets for chunked bodies
    )
    assert resp.status_code == 413


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    resp = client.post("/api/records", data="name=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415
    assert resp.is_json


def test_malformed_json_is_400(client: FlaskClient) -> None:
    resp = client.post("/api/records", data="{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["message"] == "request body is not valid JSON"


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "3"])
def test_non_object_json_is_400(client: FlaskClient, body: str) -> None:
    resp = client.post("/api/records", data=body, content_type="application/json")
    assert resp.status_code == 400


def test_wrong_method_is_405_json_with_allow(client: FlaskClient) -> None:
    resp = client.patch("/api/records/abc", json={})
    assert resp.status_code == 405
    assert resp.get_json()["code"] == 405
    assert "PUT" in resp.headers["Allow"]


def test_unknown_route_is_404_json(client: FlaskClient) -> None:
    resp = client.get("/nothing/here")
    assert resp.status_code == 404
    assert resp.is_json


def test_failed_transaction_leaves_no_half_version(client: FlaskClient, ddb: Any, app: Flask) -> None:
    """Make the v0 condition fail (a concurrent local write) and show the history item was not written."""
    rid = create(client)["id"]
    store = app.extensions["monolith"].store
    real_get = store.get

    # Another writer commits v2 after our writer has read the head but before its transaction runs.
    def racing_get(record_id: str) -> Any:
        head = real_get(record_id)
        store.get = real_get  # race once; the other writer takes the normal path
        other = store.update(record_id, 1, {"by": "other writer"})
        assert other.number == 2
        return head

    store.get = racing_get
    try:
        resp = put(client, rid, 1, {"by": "loser"})
    finally:
        store.get = real_get
    # The loser computed v2 as well; its history item shares the key with the winner's, so check content.
    assert resp.status_code == 412
    assert resp.get_json()["current_version"] == 2
    assert all_items(ddb, rid) == ["v0", "v000001#us-west-2", "v000002#us-west-2"]
    assert client.get(f"/api/records/{rid}/versions/2").get_json()["data"] == {"by": "other writer"}


def test_failed_v0_condition_writes_no_history_item(client: FlaskClient, ddb: Any, app: Flask) -> None:
    """A transaction whose v0 condition fails must not leave its (distinct) history item behind."""
    rid = create(client)["id"]
    store = app.extensions["monolith"].store
    store._lock_token = lambda _rid: "v999999#nowhere"  # a token v0 never had: the condition fails
    resp = put(client, rid, 1, {"half": True})
    assert resp.status_code == 412
    assert all_items(ddb, rid) == ["v0", "v000001#us-west-2"]


def test_unexpected_error_is_500_json_without_traceback_and_logged(
    client: FlaskClient, app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    store = app.extensions["monolith"].store

    def boom(_record_id: str) -> None:
        raise RuntimeError("secret internal detail")

    store.get = boom
    resp = client.get("/api/records/abc", headers={"X-Request-Id": "req-500-test"})
    assert resp.status_code == 500
    body = resp.get_json()
    assert body["code"] == 500
    assert "secret" not in resp.get_data(as_text=True)
    assert "Traceback" not in resp.get_data(as_text=True)
    assert resp.headers["X-Request-Id"] == "req-500-test"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert errors
    assert errors[0]["request_id"] == "req-500-test"
    assert "secret internal detail" in errors[0]["exception"]


def test_request_id_is_honoured_or_generated(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"}).headers["X-Request-Id"]
    assert generated != "bad id with spaces"
    assert len(generated) == 32


def test_access_log_is_json_with_request_id(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    client.get("/healthz", headers={"X-Request-Id": "log-me"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "monolith.access"]
    assert access[-1]["request_id"] == "log-me"
    assert access[-1]["status"] == 200
    assert access[-1]["route"] == "/healthz"


def test_security_headers(client: FlaskClient) -> None:
    resp = client.get("/healthz")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_proxy_fix_trusts_exactly_one_hop(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    client.get(
        "/healthz",
        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "monolith.access"]
    # The ALB appended the client it saw; anything before it is client-supplied and not trusted.
    assert access[-1]["remote_addr"] == "203.0.113.7"


@pytest.fixture
def roomy(ddb: Any) -> FlaskClient:
    """An app with a body limit near the ceiling, for inputs the 4 KB test limit would refuse first."""
    return create_app(
        make_config(max_body_bytes=300 * 1024), client=ddb, ready_client=ddb, start_heartbeat=False
    ).test_client()


@pytest.mark.parametrize(
    "body",
    ['{"x": NaN}', '{"x": Infinity}', '{"x": -Infinity}', '{"x": 1e999}', '{"x": 1' + "0" * 5000 + "}"],
)
def test_non_json_numbers_are_400(roomy: FlaskClient, body: str) -> None:
    resp = roomy.post("/api/records", data=body, content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["message"] == "request body is not valid JSON"


@pytest.mark.parametrize("depth", [33, 3000])
def test_deep_nesting_is_400(roomy: FlaskClient, depth: int) -> None:
    body = '{"x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    resp = roomy.post("/api/records", data=body, content_type="application/json")
    assert resp.status_code == 400
    assert "nests deeper" in resp.get_json()["message"]


def test_nesting_at_the_limit_is_accepted(client: FlaskClient) -> None:
    body = '{"x": ' + "[" * 31 + "]" * 31 + "}"
    assert client.post("/api/records", data=body, content_type="application/json").status_code == 201


def test_non_ascii_body_is_stored_without_growing(roomy: FlaskClient) -> None:
    """Text under the body limit must fit the item too: stored UTF-8, not \\uXXXX escapes (x2 the size)."""
    text = "\u20ac" * 90_000  # 270,000 bytes of UTF-8; 540,000 as escapes, over DynamoDB's 400 KB
    body = json.dumps({"t": text}, ensure_ascii=False).encode()
    resp = roomy.post("/api/records", data=body, content_type="application/json")
    assert resp.status_code == 201, resp.get_json()
    assert roomy.get(f"/api/records/{resp.get_json()['id']}").get_json()["data"]["t"] == text


def test_read_reports_concurrent_sibling_and_merge_write_clears_it(client: FlaskClient, ddb: Any) -> None:
    rid = create(client)["id"]
    assert put(client, rid, 1, {"by": "us"}).status_code == 200
    # eu-west-1 wrote its own version 2 on top of version 1 at the same moment.
    replicate_history_item(ddb, rid, 2, "eu-west-1", data={"by": "eu"}, supersedes=["v000001#us-west-2"])
    body = client.get(f"/api/records/{rid}").get_json()
    # Deterministic in every region: same number, so the higher region name ("us-west-2") wins.
    assert body["key"] == "v000002#us-west-2"
    assert body["data"] == {"by": "us"}
    assert [(c["key"], c["data"]) for c in body["conflicts"]] == [("v000002#eu-west-1", {"by": "eu"})]
    eu = client.get(f"/api/records/{rid}/versions/2?region=eu-west-1").get_json()
    assert eu["data"] == {"by": "eu"}
    merged = put(client, rid, 2, {"by": "both"})
    assert sorted(merged.get_json()["supersedes"]) == ["v000002#eu-west-1", "v000002#us-west-2"]
    assert client.get(f"/api/records/{rid}").get_json()["conflicts"] == []


def test_unseen_older_sibling_is_still_reported(client: FlaskClient, ddb: Any) -> None:
    rid = create(client)["id"]
    put(client, rid, 1, {"n": 2})
    put(client, rid, 2, {"n": 3})
    # A concurrent version 2 from ap-southeast-2 arrives after we have moved on to 3: nobody saw it.
    replicate_history_item(
        ddb, rid, 2, "ap-southeast-2", data={"late": True}, supersedes=["v000001#us-west-2"]
    )
    body = client.get(f"/api/records/{rid}").get_json()
    assert body["version"] == 3
    assert [c["key"] for c in body["conflicts"]] == ["v000002#ap-southeast-2"]


def test_body_that_grows_past_the_item_limit_when_stored_is_413(roomy: FlaskClient) -> None:
    # 5 bytes in, 19 stored: json re-serialises 1e15 as 1000000000000000.0.
    body = '{"n": [' + ",".join(["1e15"] * 50_000) + "]}"
    assert len(body) < 300 * 1024
    resp = roomy.post("/api/records", data=body, content_type="application/json")
    assert resp.status_code == 413
    assert "too large" in resp.get_json()["message"]
    rid = roomy.post("/api/records", json={"small": 1}).get_json()["id"]
    resp = roomy.put(
        f"/api/records/{rid}", data=body, content_type="application/json", headers={"If-Match": "1"}
    )
    assert resp.status_code == 413


class _Unreachable:
    """A DynamoDB client whose every call fails the way a network partition does."""

    def __getattr__(self, _name: str) -> Any:
        def fail(**_kwargs: Any) -> None:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.internal.example:443")

        return fail


def test_unreachable_table_is_503_with_retry_after_and_no_internals(
    ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_config(), client=_Unreachable(), ready_client=ddb, start_heartbeat=False)
    resp = app.test_client().get("/api/records/abc", headers={"X-Request-Id": "req-503"})
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "1"
    assert resp.get_json()["message"] == "the data store is unavailable; retry shortly"
    assert "internal.example" not in resp.get_data(as_text=True)
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    errors = [e for e in logged if e["level"] == "ERROR"]
    assert errors[0]["request_id"] == "req-503"
    assert "internal.example" in errors[0]["exception"]


def test_a_non_retryable_dynamodb_error_stays_500(client: FlaskClient, app: Flask) -> None:
    store = app.extensions["monolith"].store

    def invalid(_record_id: str) -> None:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "secret detail"}}, "Query")

    store.get = invalid
    resp = client.get("/api/records/abc")
    assert resp.status_code == 500
    assert "secret" not in resp.get_data(as_text=True)


def test_deleted_record_reports_a_concurrent_live_version(client: FlaskClient, ddb: Any) -> None:
    rid = create(client)["id"]
    assert client.delete(f"/api/records/{rid}", headers={"If-Match": "1"}).status_code == 200
    # Meanwhile eu-west-1 updated version 1; the tombstone from us-west-2 wins version 2 by region order.
    replicate_history_item(
        ddb, rid, 2, "eu-west-1", data={"kept": "in Ireland"}, supersedes=["v000001#us-west-2"]
    )
    resp = client.get(f"/api/records/{rid}")
    assert resp.status_code == 404
    body = resp.get_json()
    assert (body["deleted"], body["version"]) == (True, 2)
    assert [(c["key"], c["data"]) for c in body["conflicts"]] == [
        ("v000002#eu-west-1", {"kept": "in Ireland"})
    ]
