"""The app as CloudFront and the ALB see it: one trusted proxy hop, security headers on every answer (errors
too), and nothing internal in any 5xx body (issue 9, least privilege)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.exceptions import InternalServerError, ServiceUnavailable

INTERNAL_DETAIL = "dynamodb.internal.example said: table arn:aws:dynamodb:us-west-2:123456789012"
ONE_YEAR_S = 365 * 24 * 3600


@pytest.fixture
def probed(app: Flask) -> FlaskClient:
    """The app with test-only routes: one that shows what the app believes about the request, and ones that
    fail with an internal detail in the exception."""

    def seen() -> dict[str, Any]:
        return {"remote_addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    def fail_plain() -> None:
        raise RuntimeError(INTERNAL_DETAIL)

    def fail_http_500() -> None:
        raise InternalServerError(description=INTERNAL_DETAIL)

    def fail_http_503() -> None:
        raise ServiceUnavailable(description=INTERNAL_DETAIL)

    for rule, view in (
        ("/_test/seen", seen),
        ("/_test/runtime", fail_plain),
        ("/_test/http-500", fail_http_500),
        ("/_test/http-503", fail_http_503),
    ):
        app.add_url_rule(rule, view.__name__, view)
    return app.test_client()


def test_forwarded_proto_from_the_one_proxy_makes_the_request_https(probed: FlaskClient) -> None:
    seen = probed.get(
        "/_test/seen", headers={"X-Forwarded-Proto": "https"}, environ_base={"REMOTE_ADDR": "10.0.0.5"}
    ).get_json()
    assert seen["scheme"] == "https"


def test_a_client_supplied_forwarded_chain_is_not_trusted_past_one_hop(probed: FlaskClient) -> None:
    # The client forged the first values; the ALB appended the last ones.
    seen = probed.get(
        "/_test/seen",
        headers={"X-Forwarded-For": "6.6.6.6, 7.7.7.7, 203.0.113.7", "X-Forwarded-Proto": "http, https"},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    ).get_json()
    assert (seen["remote_addr"], seen["scheme"]) == ("203.0.113.7", "https")


def test_forwarded_host_and_port_are_ignored(probed: FlaskClient) -> None:
    seen = probed.get(
        "/_test/seen",
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "8443", "Host": "origin.example"},
    ).get_json()
    assert seen["host"] == "origin.example"


def test_without_forwarded_headers_the_peer_is_the_client(probed: FlaskClient) -> None:
    seen = probed.get("/_test/seen", environ_base={"REMOTE_ADDR": "10.0.0.5"}).get_json()
    assert (seen["remote_addr"], seen["scheme"]) == ("10.0.0.5", "http")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/", 200),
        ("GET", "/api/records/nope", 404),
        ("GET", "/no/such/route", 404),
        ("DELETE", "/healthz", 405),
        ("GET", "/_test/runtime", 500),
        ("GET", "/_test/http-503", 503),
    ],
)
def test_every_answer_carries_hsts_and_nosniff(
    probed: FlaskClient, method: str, path: str, status: int
) -> None:
    resp = probed.open(path, method=method)
    assert resp.status_code == status
    directives = [
        part.strip().partition("=") for part in resp.headers["Strict-Transport-Security"].split(";")
    ]
    hsts = {name: value for name, _, value in directives}
    assert int(hsts["max-age"]) >= ONE_YEAR_S
    assert "includeSubDomains" in hsts
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("path", "status"), [("/_test/runtime", 500), ("/_test/http-500", 500), ("/_test/http-503", 503)]
)
def test_a_forced_server_error_answers_a_generic_json_body(
    probed: FlaskClient, path: str, status: int
) -> None:
    resp = probed.get(path)
    assert resp.status_code == status
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert sorted(body) == ["code", "message", "request_id"]
    text = resp.get_data(as_text=True)
    for leak in ("internal.example", "arn:aws", "123456789012", "Traceback", "RuntimeError"):
        assert leak not in text, leak
