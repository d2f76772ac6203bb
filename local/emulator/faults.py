"""A fault switch: one region's (or one service's) API answers an AWS error, served at ``/_emulator/faults``.

``POST /_emulator/faults`` with JSON adds a fault::

    {"region": "eu-west-1", "service": "*", "status": 503, "code": "ServiceUnavailable",
     "message": "...", "mutating_only": false}

Every request whose SigV4 credential scope matches ``region`` and ``service`` (``*`` matches any; a boto3
client name such as ``elbv2`` or ``cloudwatch`` is taken for its signing name) is answered with that status
and an error body in the service's own protocol, so botocore raises a ``ClientError`` with that code, exactly
as for a real AWS error: JSON ``__type`` for JSON-protocol services (DynamoDB, ACM, Logs, WAFv2, SSM, KMS,
CloudWatch), ``<Response><Errors>`` for EC2, ``<Error>`` for S3, ``<ErrorResponse>`` for the other query and
REST-XML services. With ``mutating_only`` reads still succeed and only mutating calls (``calls.is_mutating``)
fail. The first matching fault answers. Answered requests never reach moto and are not in the call log.

``GET /_emulator/faults`` lists the faults with how many requests each answered (``hits``);
``DELETE /_emulator/faults`` clears them all.
"""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import parse_qs

from emulator import calls

# boto3 client names whose SigV4 signing name differs: the credential scope carries the signing name.
SIGNING_NAMES = {"elbv2": "elasticloadbalancing", "elb": "elasticloadbalancing", "cloudwatch": "monitoring"}
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,63}$")
_READS = ("GET", "HEAD")

_lock = threading.Lock()
_faults: list[dict[str, Any]] = []


def add(spec: dict[str, Any]) -> dict[str, Any]:
    """Validate a fault from its JSON form and switch it on; ValueError names the bad field."""
    unknown = set(spec) - {"region", "service", "status", "code", "message", "mutating_only"}
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    region = spec.get("region")
    if not isinstance(region, str) or not region:
        raise ValueError("region must be a region name or '*'")
    service = spec.get("service", "*")
    if not isinstance(service, str) or not service:
        raise ValueError("service must be a service name or '*'")
    status = spec.get("status", 503)
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
        raise ValueError("status must be an HTTP error status, 400..599")
    code = spec.get("code", "ServiceUnavailable")
    if not isinstance(code, str) or not _CODE.match(code):
        raise ValueError("code must be an AWS error code such as ServiceUnavailable")
    mutating_only = spec.get("mutating_only", False)
    if not isinstance(mutating_only, bool):
        raise ValueError("mutating_only must be true or false")
    fault = {
        "region": region,
        "service": SIGNING_NAMES.get(service, service),
        "status": status,
        "code": code,
        "message": str(spec.get("message") or f"{code} in {region} (emulator fault switch)"),
        "mutating_only": mutating_only,
        "hits": 0,
    }
    with _lock:
        _faults.append(fault)
    return dict(fault)


def listing() -> list[dict[str, Any]]:
    with _lock:
        return [dict(f) for f in _faults]


def clear() -> None:
    with _lock:
        _faults.clear()


def _action(environ: dict[str, Any]) -> str | None:
    """The API action of a request, read as moto will: X-Amz-Target (JSON), or Action= (query, EC2)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return str(target.rsplit(".", 1)[-1])
    query = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if query:
        return query[0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        # Put the body back for moto.
        environ["wsgi.input"] = io.BytesIO(body)
        form = parse_qs(body.decode("utf-8", errors="replace")).get("Action")
        if form:
            return form[0]
    return None


def _is_mutating(environ: dict[str, Any]) -> bool:
    action = _action(environ)
    if action is None:
        # REST protocols (S3, Route 53, CloudFront): the method says it, as in the call log.
        return environ.get("REQUEST_METHOD", "GET") not in _READS
    return calls.is_mutating(action)


def match(environ: dict[str, Any]) -> dict[str, Any] | None:
    """The fault that answers this request, if any (its hit counted)."""
    service, region = calls.credential_scope(environ)
    with _lock:
        candidates = [f for f in _faults if f["region"] in ("*", region) and f["service"] in ("*", service)]
    for fault in candidates:
        if fault["mutating_only"] and not _is_mutating(environ):
            continue
        with _lock:
            fault["hits"] += 1
        return fault
    return None


def error_response(environ: dict[str, Any], fault: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body of the error in the protocol botocore expects from this request's service."""
    service, _ = calls.credential_scope(environ)
    request_id = str(uuid.uuid4())
    code, message = fault["code"], fault["message"]
    json_protocol = environ.get("HTTP_X_AMZ_TARGET") or environ.get("CONTENT_TYPE", "").startswith(
        "application/x-amz-json"
    )
    if json_protocol:
        body = json.dumps({"__type": code, "message": message}).encode()
        return [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", request_id),
        ], body
    code_x, message_x = escape(code), escape(message)
    if service == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{code_x}</Code><Message>{message_x}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    elif service == "s3":
        xml = f"<Error><Code>{code_x}</Code><Message>{message_x}</Message><RequestId>{request_id}</RequestId></Error>"
    else:
        side = "Receiver" if fault["status"] >= 500 else "Sender"
        xml = (
            f"<ErrorResponse><Error><Type>{side}</Type><Code>{code_x}</Code><Message>{message_x}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml).encode()
    return [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body


class FaultMiddleware:
    """WSGI middleware: answers ``/_emulator/faults`` and fails the requests a fault matches."""

    def __init__(self, app: calls.WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: calls.StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/_emulator/faults":
            return self._own_endpoint(environ, start_response)
        if _faults and not path.startswith(("/_emulator/", "/moto-api")):
            fault = match(environ)
            if fault is not None:
                headers, body = error_response(environ, fault)
                start_response(f"{fault['status']} {fault['code']}", [*headers, ("Content-Length", str(len(body)))])
                return [body]
        return self.app(environ, start_response)

    @staticmethod
    def _own_endpoint(environ: dict[str, Any], start_response: calls.StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        status, body = "200 OK", {}
        if method == "GET":
            body = {"faults": listing()}
        elif method == "DELETE":
            clear()
            body = {"faults": []}
        elif method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("a fault is a JSON object")
                body = {"fault": add(spec)}
            except ValueError as exc:
                status, body = "400 Bad Request", {"error": str(exc)}
        else:
            status, body = "405 Method Not Allowed", {"error": f"{method} /_emulator/faults: use GET, POST or DELETE"}
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]
