"""Records API: /api/records..."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from .errors import ApiError
from .services import services
from .store import (
    ID_RE,
    BadCursor,
    Head,
    ItemTooLarge,
    RecordDeleted,
    RecordNotFound,
    Version,
    VersionLimit,
    VersionMismatch,
    etag,
)

bp = Blueprint("records", __name__, url_prefix="/api/records")

_IF_MATCH_RE = re.compile(r'^(?:W/)?"?(\d{1,6})"?$')
_REGION_RE = re.compile(r"^[a-z0-9-]{1,32}$")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_DEPTH = 32  # nesting levels of a record body


def _check_id(record_id: str) -> None:
    if not ID_RE.match(record_id):
        raise ApiError(400, "record id must match ^[A-Za-z0-9_-]{1,64}$")


def _json_object() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "request body must be application/json")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in {"utf-8", "utf8"}:
        raise ApiError(415, f"charset {charset} is not supported; send application/json in UTF-8")
    coding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if coding not in {"", "identity"}:
        raise ApiError(415, f"Content-Encoding {coding} is not supported; send the body uncompressed")
    data = request.get_data(cache=True)
    limit = request.max_content_length
    # Werkzeug truncates a chunked body (no Content-Length) at the limit instead of refusing it;
    # a body that fills the limit exactly is therefore treated as too large.
    if request.content_length is None and limit is not None and len(data) >= limit:
        raise ApiError(413, f"request body exceeds {limit} bytes")
    text = _utf8_text(data)
    try:
        body = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except ValueError:
        raise ApiError(400, "request body is not valid JSON") from None
    except RecursionError:
        raise ApiError(400, f"request body nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    if _depth(body) > MAX_DEPTH:
        raise ApiError(400, f"request body nests deeper than {MAX_DEPTH} levels")
    # Only an escape can produce a lone surrogate: UTF-8 decoding refuses raw ones.
    if "\\u" in text and _has_lone_surrogate(body):
        raise ApiError(400, "request body holds a lone surrogate escape (\\ud800..\\udfff); it is not UTF-8")
    return body


def _utf8_text(data: bytes) -> str:
    # RFC 8259 section 8.1: JSON between systems is UTF-8 without a byte order mark. json.loads on bytes
    # would also accept UTF-16 and UTF-32, which other clients of the table then could not read back.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "request body is not UTF-8; send JSON encoded as UTF-8") from None
    if text.startswith("\ufeff"):
        raise ApiError(400, "request body starts with a byte order mark; send UTF-8 JSON without one")
    return text


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _SURROGATE_RE.search(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _reject_constant(name: str) -> Any:
    # Python accepts NaN/Infinity, which are not JSON: stored, they would break every other client.
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf
        raise ValueError(f"{text} is out of range")
    return value


def _depth(value: Any) -> int:
    """Nesting depth, iteratively: the stored copy is re-serialised and rendered, both recursively."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: list[Any] = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def _if_match(required: bool) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        if required:
            raise ApiError(428, "If-Match with the version being replaced is required")
        return None
    match = _IF_MATCH_RE.match(raw.strip())
    if not match or int(match.group(1)) < 1:
        raise ApiError(400, 'If-Match must be a version number, e.g. If-Match: "3"')
    return int(match.group(1))


def _version_response(version: Version, status: int) -> Response:
    body = version.to_json()
    body["etag"] = etag(version.number)
    resp = jsonify(body)
    resp.status_code = status
    resp.headers["ETag"] = etag(version.number)
    return resp


def _head_response(head: Head) -> Response:
    resp = jsonify(head.to_json())
    resp.headers["ETag"] = etag(head.winner.number)
    return resp


def _store_error(exc: Exception, record_id: str) -> ApiError:
    if isinstance(exc, RecordDeleted):
        conflicts = [v.to_json() for v in exc.conflicts]
        extra = {"id": record_id, "deleted": True, "version": exc.number, "conflicts": conflicts}
        return ApiError(404, str(exc), extra=extra)
    if isinstance(exc, RecordNotFound):
        return ApiError(404, f"no record {record_id}", extra={"id": record_id})
    if isinstance(exc, VersionMismatch):
        return ApiError(
            412,
            f"version mismatch: current version is {exc.current}",
            extra={"id": record_id, "current_version": exc.current},
            headers={"ETag": etag(exc.current)},
        )
    if isinstance(exc, VersionLimit):
        return ApiError(409, str(exc))
    if isinstance(exc, BadCursor):
        return ApiError(400, str(exc))
    if isinstance(exc, ItemTooLarge):
        return ApiError(413, str(exc))
    raise exc


@bp.post("")
def create_record() -> Response:
    try:
        version = services().store.create(_json_object())
    except ItemTooLarge as exc:
        raise _store_error(exc, "") from None
    resp = _version_response(version, 201)
    resp.headers["Location"] = url_for("records.get_record", record_id=version.id)
    return resp


@bp.get("/<record_id>")
def get_record(record_id: str) -> Response:
    _check_id(record_id)
    try:
        return _head_response(services().store.get(record_id))
    except (RecordNotFound, VersionMismatch) as exc:
        raise _store_error(exc, record_id) from None


@bp.put("/<record_id>")
def put_record(record_id: str) -> Response:
    _check_id(record_id)
    expected = _if_match(required=True)
    assert expected is not None  # noqa: S101 -- _if_match(required=True) never returns None
    data = _json_object()
    try:
        return _version_response(services().store.update(record_id, expected, data), 200)
    except (RecordNotFound, VersionMismatch, VersionLimit, ItemTooLarge) as exc:
        raise _store_error(exc, record_id) from None


@bp.delete("/<record_id>")
def delete_record(record_id: str) -> Response:
    _check_id(record_id)
    expected = _if_match(required=False)
    try:
        return _version_response(services().store.delete(record_id, expected), 200)
    except (RecordNotFound, VersionMismatch, VersionLimit) as exc:
        raise _store_error(exc, record_id) from None


@bp.get("/<record_id>/versions")
def list_versions(record_id: str) -> Response:
    _check_id(record_id)
    limit = _limit()
    try:
        items, cursor = services().store.versions(record_id, limit, request.args.get("cursor"))
    except (RecordNotFound, BadCursor) as exc:
        raise _store_error(exc, record_id) from None
    return jsonify({"id": record_id, "items": [v.to_json() for v in items], "next_cursor": cursor})


@bp.get("/<record_id>/versions/<int:number>")
def get_version(record_id: str, number: int) -> Response:
    _check_id(record_id)
    try:
        head = services().store.version(record_id, number)
    except RecordNotFound as exc:
        raise _store_error(exc, record_id) from None
    region = request.args.get("region")
    if region is None:
        return _head_response(head)
    if not _REGION_RE.match(region):
        raise ApiError(400, "region must be an AWS region name")
    for candidate in (head.winner, *head.siblings):
        if candidate.region == region:
            return _version_response(candidate, 200)
    raise ApiError(404, f"no version {number} written in {region}")


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_PAGE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiError(400, f"limit must be an integer between 1 and {MAX_PAGE}")
    return int(raw)
