"""Every error leaves as a JSON object with a code and a message; nothing else reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from .logs import request_id_var
from .store import StoreUnavailable

log = logging.getLogger("monolith.errors")


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        message: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra or {}
        self.headers = headers or {}


def error_response(code: int, message: str, extra: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id_var.get()}
    body.update(extra or {})
    resp = jsonify(body)
    resp.status_code = code
    return resp


def _api_error(exc: ApiError) -> Response:
    resp = error_response(exc.code, exc.message, exc.extra)
    resp.headers.update(exc.headers)
    return resp


def _http_error(exc: HTTPException) -> Response:
    code = exc.code or 500
    message = exc.description or exc.name
    if code >= 500:
        log.error("server error", extra={"status": code, "error": exc.description})
        # The instance's description may carry internals; the class's stock text is what clients get.
        message = type(exc).description or exc.name
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if isinstance(exc, RequestEntityTooLarge) and limit is not None:
        # Werkzeug's own text names no limit; say the same as the API's check of chunked bodies.
        message = f"request body exceeds {limit} bytes"
    resp = error_response(code, message)
    # Keep protocol headers werkzeug computed (Allow on 405, Retry-After on 503).
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        value = dict(exc.get_headers()).get(name)
        if value:
            resp.headers[name] = value
    return resp


# DynamoDB answers that mean "try again" rather than "this request is wrong".
_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "InternalServerError",
        "ServiceUnavailable",
        "ResourceNotFoundException",  # the table (replica) is missing or not yet active in this region
    }
)


def _table_unavailable(exc: Exception) -> Response:
    """The table could not be reached or answered: 503 + Retry-After, so clients and CloudFront retry."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in _RETRYABLE_CODES:
            return _unhandled(exc)
    log.error("table unavailable", exc_info=exc, extra={"status": 503})
    resp = error_response(503, "the data store is unavailable; retry shortly")
    resp.headers["Retry-After"] = "1"
    return resp


def _unhandled(exc: Exception) -> Response:
    log.error("unhandled exception", exc_info=exc, extra={"status": 500})
    return error_response(500, InternalServerError.description or "internal server error")


def register(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    for exc_type in (BotoCoreError, ClientError, StoreUnavailable):
        app.register_error_handler(exc_type, _table_unavailable)
    app.register_error_handler(Exception, _unhandled)
