"""The API's bad-input catalogue: one row per invalid request (body, header, id, method, size, encoding).

Each must be refused with its 4xx and a JSON error whose message names the problem, and must leave the
table exactly as it was. test_records.py covers the cases it already had (ids outside the pattern on the
record path, form bodies, malformed or non-object JSON on POST, NaN, deep nesting, If-Match garbage on PUT,
bad page limits and cursors); this table adds the rest.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient

from conftest import TABLE

LIMIT = 4096  # conftest's max_body_bytes
JSON = "application/json"


@dataclass(frozen=True)
class Bad:
    name: str
    method: str
    path: str  # {rid} is an existing record's id
    status: int
    says: str  # words the JSON error's message must contain
    data: bytes | None = None
    content_type: str | None = JSON
    headers: dict[str, str] = field(default_factory=dict)


IF_MATCH = {"If-Match": '"1"'}
BIG = json.dumps({"blob": "x" * LIMIT}).encode()
ALL = "/api/records"
ONE = "/api/records/{rid}"
ID = "record id must match"
GZIPPED = {"Content-Encoding": "gzip"}

CATALOGUE = [
    # Bodies
    Bad("empty-body", "POST", ALL, 400, "not valid JSON", b""),
    Bad("trailing-garbage", "POST", ALL, 400, "not valid JSON", b'{"a": 1} {"b": 2}'),
    Bad("put-array", "PUT", ONE, 400, "must be a JSON object", b"[]", headers=IF_MATCH),
    Bad("put-malformed", "PUT", ONE, 400, "not valid JSON", b'{"a":', headers=IF_MATCH),
    Bad("lone-surrogate", "POST", ALL, 400, "lone surrogate", b'{"a": "\\ud800"}'),
    Bad("lone-surrogate-key", "POST", ALL, 400, "lone surrogate", b'{"\\udfff": 1}'),
    # Headers
    Bad("text-plain", "POST", ALL, 415, "application/json", b"{}", "text/plain"),
    Bad("no-content-type", "POST", ALL, 415, "application/json", b"{}", None),
    Bad("put-no-content-type", "PUT", ONE, 415, "application/json", b"{}", None, IF_MATCH),
    Bad("charset-latin1", "POST", ALL, 415, "charset iso-8859-1", b"{}", f"{JSON}; charset=iso-8859-1"),
    Bad("gzip", "POST", ALL, 415, "Content-Encoding gzip", gzip.compress(b"{}"), headers=GZIPPED),
    Bad("delete-if-match-garbage", "DELETE", ONE, 400, "If-Match", headers={"If-Match": "v1"}),
    Bad("if-match-7-digits", "PUT", ONE, 400, "If-Match", b"{}", headers={"If-Match": "1234567"}),
    Bad("if-match-negative", "PUT", ONE, 400, "If-Match", b"{}", headers={"If-Match": "-1"}),
    # Ids
    Bad("id-unicode", "GET", "/api/records/%C3%A9t%C3%A9", 400, ID),
    Bad("id-nul", "DELETE", "/api/records/a%00b", 400, ID),
    Bad("id-blank", "PUT", "/api/records/%20", 400, ID, b"{}", headers=IF_MATCH),
    Bad("versions-bad-id", "GET", "/api/records/has.dot/versions", 400, ID),
    Bad("version-bad-id", "GET", "/api/records/a%2Bb/versions/1", 400, ID),
    # Methods
    Bad("delete-collection", "DELETE", ALL, 405, "not allowed"),
    Bad("put-collection", "PUT", ALL, 405, "not allowed", b"{}"),
    Bad("post-record", "POST", ONE, 405, "not allowed", b"{}"),
    Bad("post-versions", "POST", ONE + "/versions", 405, "not allowed", b"{}"),
    Bad("delete-healthz", "DELETE", "/healthz", 405, "not allowed"),
    # Sizes
    Bad("put-over-limit", "PUT", ONE, 413, f"exceeds {LIMIT} bytes", BIG, headers=IF_MATCH),
    Bad("limit-1000-digits", "GET", ONE + "/versions?limit=" + "9" * 1000, 400, "limit must be"),
    # Encodings
    Bad("utf16", "POST", ALL, 400, "not UTF-8", '{"a": 1}'.encode("utf-16")),
    Bad("invalid-utf8", "POST", ALL, 400, "not UTF-8", b'{"a": "\xff\xfe"}'),
    Bad("latin1-bytes", "POST", ALL, 400, "not UTF-8", '{"a": "caf\u00e9"}'.encode("latin-1")),
    Bad("utf8-bom", "POST", ALL, 400, "byte order mark", b'\xef\xbb\xbf{"a": 1}'),
]


def table_items(ddb: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ddb.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["id"]["S"], i["version"]["S"]))


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_bad_request_is_refused_with_json_and_writes_nothing(
    client: FlaskClient, ddb: Any, case: Bad
) -> None:
    rid = client.post("/api/records", json={"name": "kept"}).get_json()["id"]
    before = table_items(ddb)
    headers = dict(case.headers)
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    resp = client.open(case.path.format(rid=rid), method=case.method, data=case.data, headers=headers)
    assert resp.status_code == case.status, resp.get_data(as_text=True)
    assert resp.is_json, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["code"] == case.status
    assert case.says in body["message"], body
    assert table_items(ddb) == before, "a refused request must not write to the table"
    assert client.get(f"/api/records/{rid}").get_json()["data"] == {"name": "kept"}


def test_catalogue_names_are_unique() -> None:
    assert len({c.name for c in CATALOGUE}) == len(CATALOGUE)
