"""The DynamoDB versioning model, safe under multi-region last-writer-wins replication.

One partition per record id. Sort keys:
  ``v0``                  the latest copy; its ``writer`` attribute is the optimistic-lock token.
  ``v000003#eu-west-1``   immutable history: version number, zero-padded, plus the writing region.

Two regions writing version 3 concurrently create two *different* history items, so replication (which
resolves per item) keeps both. Every history item lists the keys it ``supersedes`` (the head and siblings
its writer saw). The head of a record is computed from history, never trusted from ``v0`` (whose replicated
value depends on wall-clock order): among the *leaves* (items nobody supersedes) the winner is the max of
(number, region); the other leaves are conflicting siblings, reported on every read until a write that saw
them supersedes them. See README.md, "Data model".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

LATEST = "v0"
MAX_VERSION = 999_999
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
VERSION_KEY_RE = re.compile(r"^v(\d{6})#([a-z0-9-]{1,32})$")
# History items read (keys only) to find the head. Concurrent versions are at most a replication lag
# apart, so a conflict older than this many versions is still in history but no longer reported on reads.
HEAD_WINDOW = 50
_SCAN_PAGES = 5
_FETCH_ROUNDS = 5  # BatchGetItem rounds for throttled (unprocessed) keys

Item = dict[str, dict[str, Any]]
# Expression names everywhere: DynamoDB has hundreds of reserved words and some attribute names collide.
_NAMES = {"#pk": "id", "#sk": "version"}
_LINEAGE_NAMES = {
    **_NAMES,
    "#n": "number",
    "#r": "region",
    "#d": "deleted",
    "#t": "written_ns",
    "#s": "supersedes",
}


# The key schema the app needs (the database role makes the real, global table with this shape).
TABLE_KEYS: dict[str, Any] = {
    "KeySchema": [
        {"AttributeName": "id", "KeyType": "HASH"},
        {"AttributeName": "version", "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": "id", "AttributeType": "S"},
        {"AttributeName": "version", "AttributeType": "S"},
    ],
}


def history_key(number: int, region: str) -> str:
    return f"v{number:06d}#{region}"


class StoreError(Exception):
    """Base for the outcomes the API maps to 4xx answers."""


class RecordNotFound(StoreError):
    pass


class RecordDeleted(RecordNotFound):
    def __init__(self, number: int, conflicts: tuple[Version, ...] = ()) -> None:
        super().__init__(f"record was deleted at version {number}")
        self.number = number
        # Live versions written concurrently with the delete: still reported, as on any read.
        self.conflicts = conflicts


class VersionMismatch(StoreError):
    """The caller's expected version is not the head (stale If-Match, or a concurrent local write)."""

    def __init__(self, current: int) -> None:
        super().__init__(f"current version is {current}")
        self.current = current


class VersionLimit(StoreError):
    pass


class BadCursor(StoreError):
    pass


class ItemTooLarge(StoreError):
    pass


class StoreUnavailable(Exception):
    """The table did not give a consistent answer in time; a 5xx, not the client's fault."""


@dataclass(frozen=True)
class Version:
    id: str
    key: str
    number: int
    region: str
    data: Any
    deleted: bool
    written_ns: int
    supersedes: tuple[str, ...] = ()

    @property
    def written_at(self) -> str:
        return datetime.fromtimestamp(self.written_ns / 1e9, UTC).isoformat(timespec="milliseconds")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.number,
            "key": self.key,
            "region": self.region,
            "deleted": self.deleted,
            "data": self.data,
            "written_at": self.written_at,
            "supersedes": list(self.supersedes),
        }


@dataclass(frozen=True)
class Head:
    winner: Version
    siblings: tuple[Version, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        doc = self.winner.to_json()
        doc["etag"] = etag(self.winner.number)
        doc["conflicts"] = [s.to_json() for s in self.siblings]
        return doc


def etag(number: int) -> str:
    return f'"{number}"'


def resolve(versions: Iterable[Version]) -> Head | None:
    """Deterministic head from any set of history items, whatever order replication delivered them in.

    Leaves are the items no other item supersedes. The winner is the leaf with the highest (number,
    region); the other leaves are siblings: concurrent versions written without knowledge of the winner.
    A superseder always has a higher number than what it supersedes, so for a newest-first window of
    history the leaves it finds are exactly the leaves of the whole history within that window.
    """
    items = list(versions)
    superseded = {key for v in items for key in v.supersedes}
    leaves = [v for v in items if v.key not in superseded] or items
    ordered = sorted(leaves, key=lambda v: (v.number, v.region), reverse=True)
    if not ordered:
        return None
    return Head(ordered[0], tuple(ordered[1:]))


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor("cursor is not valid") from None
    if not VERSION_KEY_RE.match(key):
        raise BadCursor("cursor is not valid")
    return key


def _from_item(item: Item) -> Version:
    key = item["version"]["S"]
    raw = item.get("data", {}).get("S")
    return Version(
        id=item["id"]["S"],
        key=key,
        number=int(item["number"]["N"]),
        region=item["region"]["S"],
        data=None if raw is None else json.loads(raw),
        deleted=bool(item.get("deleted", {}).get("BOOL", False)),
        written_ns=int(item["written_ns"]["N"]),
        supersedes=tuple(s["S"] for s in item.get("supersedes", {}).get("L", [])),
    )


def _to_item(v: Version, sort_key: str) -> Item:
    item: Item = {
        "id": {"S": v.id},
        "version": {"S": sort_key},
        "number": {"N": str(v.number)},
        "region": {"S": v.region},
        "deleted": {"BOOL": v.deleted},
        "written_ns": {"N": str(v.written_ns)},
        "written_at": {"S": v.written_at},
        "writer": {"S": v.key},
        "supersedes": {"L": [{"S": s} for s in v.supersedes]},
    }
    if v.data is not None:
        # ensure_ascii=False: escaping non-ASCII text as \uXXXX can triple its size past the item limit.
        item["data"] = {"S": json.dumps(v.data, separators=(",", ":"), sort_keys=True, ensure_ascii=False)}
    return item


class RecordStore:
    def __init__(
        self,
        client: Any,
        table: str,
        region: str,
        *,
        clock: Callable[[], int] = time.time_ns,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.client = client
        self.table = table
        self.region = region
        self._clock = clock
        self._new_id = new_id

    # -- reads -------------------------------------------------------------------------------------

    def head(self, record_id: str) -> Head:
        """The head including tombstones; raises RecordNotFound if the record never existed."""
        # Keys and lineage only: with data, a few large items would fill DynamoDB's 1 MB page and hide
        # the rest of the window. The data of the winner and its siblings is fetched afterwards.
        resp = self.client.query(
            TableName=self.table,
            KeyConditionExpression="#pk = :id AND #sk > :latest",
            ProjectionExpression=", ".join(_LINEAGE_NAMES),
            ExpressionAttributeNames=_LINEAGE_NAMES,
            ExpressionAttributeValues={":id": {"S": record_id}, ":latest": {"S": LATEST}},
            ScanIndexForward=False,
            Limit=HEAD_WINDOW,
            ConsistentRead=True,
        )
        lineage = resolve(_from_item(i) for i in resp.get("Items", []))
        if lineage is None:
            raise RecordNotFound(f"no record {record_id}")
        full = self._fetch(record_id, [v.key for v in (lineage.winner, *lineage.siblings)])
        return Head(full[lineage.winner.key], tuple(full[v.key] for v in lineage.siblings))

    def _fetch(self, record_id: str, keys: list[str]) -> dict[str, Version]:
        request: dict[str, Any] = {
            self.table: {
                "Keys": [{"id": {"S": record_id}, "version": {"S": k}} for k in keys],
                "ConsistentRead": True,
            }
        }
        out: dict[str, Version] = {}
        for _ in range(_FETCH_ROUNDS):
            resp = self.client.batch_get_item(RequestItems=request)
            for item in resp.get("Responses", {}).get(self.table, []):
                version = _from_item(item)
                out[version.key] = version
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
        # History items are immutable and never deleted, so a key the query saw must be readable.
        missing = [k for k in keys if k not in out]
        if missing:
            raise StoreUnavailable(f"history items unreadable after {_FETCH_ROUNDS} rounds: {missing}")
        return out

    def get(self, record_id: str) -> Head:
        head = self.head(record_id)
        if head.winner.deleted:
            raise RecordDeleted(head.winner.number, head.siblings)
        return head

    def version(self, record_id: str, number: int) -> Head:
        prefix = f"v{number:06d}#"
        resp = self.client.query(
            TableName=self.table,
            KeyConditionExpression="#pk = :id AND #sk BETWEEN :lo AND :hi",
            ExpressionAttributeNames=_NAMES,
            ExpressionAttributeValues={
                ":id": {"S": record_id},
                ":lo": {"S": prefix},
                ":hi": {"S": prefix + "~"},
            },
            ConsistentRead=True,
        )
        head = resolve(_from_item(i) for i in resp.get("Items", []))
        if head is None:
            raise RecordNotFound(f"no version {number} of record {record_id}")
        return head

    def versions(
        self, record_id: str, limit: int, cursor: str | None = None
    ) -> tuple[list[Version], str | None]:
        """Newest first; the cursor is the last key returned, opaque to clients."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :id AND #sk > :latest",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": {":id": {"S": record_id}, ":latest": {"S": LATEST}},
            "ScanIndexForward": False,
            "Limit": limit,
            "ConsistentRead": True,
        }
        if cursor is not None:
            kwargs["ExclusiveStartKey"] = {"id": {"S": record_id}, "version": {"S": decode_cursor(cursor)}}
        resp = self.client.query(**kwargs)
        items = [_from_item(i) for i in resp.get("Items", [])]
        if not items and cursor is None:
            raise RecordNotFound(f"no record {record_id}")
        last = resp.get("LastEvaluatedKey")
        return items, (encode_cursor(last["version"]["S"]) if last else None)

    def latest(self, limit: int) -> list[Head]:
        """Most recently written live records, for the HTML page (a bounded scan: fine for a demo page)."""
        ids: list[str] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "#sk = :latest AND NOT begins_with(#pk, :internal)",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": {":latest": {"S": LATEST}, ":internal": {"S": "__"}},
            "ProjectionExpression": "#pk",
        }
        for _ in range(_SCAN_PAGES):
            resp = self.client.scan(**kwargs)
            ids.extend(i["id"]["S"] for i in resp.get("Items", []))
            if "LastEvaluatedKey" not in resp:
                break
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        heads = []
        for record_id in ids:
            head = self.head(record_id)
            if not head.winner.deleted:
                heads.append(head)
        heads.sort(key=lambda h: h.winner.written_ns, reverse=True)
        return heads[:limit]

    # -- writes ------------------------------------------------------------------------------------

    def create(self, data: Any) -> Version:
        version = self._version(self._new_id(), 1, data, deleted=False, supersedes=())
        self._transact(version, lock=None)
        return version

    def update(self, record_id: str, expected: int, data: Any) -> Version:
        return self._next(record_id, expected, data, deleted=False)

    def delete(self, record_id: str, expected: int | None) -> Version:
        return self._next(record_id, expected, None, deleted=True)

    def _next(self, record_id: str, expected: int | None, data: Any, *, deleted: bool) -> Version:
        lock = self._lock_token(record_id)
        head = self.get(record_id)
        current = head.winner.number
        if expected is not None and expected != current:
            raise VersionMismatch(current)
        if current >= MAX_VERSION:
            raise VersionLimit(f"record {record_id} has reached {MAX_VERSION} versions")
        seen = tuple(v.key for v in (head.winner, *head.siblings))
        version = self._version(record_id, current + 1, data, deleted=deleted, supersedes=seen)
        try:
            self._transact(version, lock=lock)
        except VersionMismatch:
            raise VersionMismatch(self.head(record_id).winner.number) from None
        return version

    def _lock_token(self, record_id: str) -> str | None:
        # Read before the head: any local write after this read changes the token and fails our transaction.
        resp = self.client.get_item(
            TableName=self.table,
            Key={"id": {"S": record_id}, "version": {"S": LATEST}},
            ProjectionExpression="#w",
            ExpressionAttributeNames={"#w": "writer"},
            ConsistentRead=True,
        )
        item = resp.get("Item")
        return None if item is None else str(item["writer"]["S"])

    def _version(
        self, record_id: str, number: int, data: Any, *, deleted: bool, supersedes: tuple[str, ...]
    ) -> Version:
        return Version(
            id=record_id,
            key=history_key(number, self.region),
            number=number,
            region=self.region,
            data=data,
            deleted=deleted,
            written_ns=self._clock(),
            supersedes=supersedes,
        )

    def _transact(self, version: Version, lock: str | None) -> None:
        """One transaction: the immutable history item and v0 are written together or not at all."""
        if lock is None:
            latest_cond: dict[str, Any] = {
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": "id"},
            }
        else:
            latest_cond = {
                "ConditionExpression": "#w = :lock",
                "ExpressionAttributeNames": {"#w": "writer"},
                "ExpressionAttributeValues": {":lock": {"S": lock}},
            }
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": _to_item(version, version.key),
                            "ConditionExpression": "attribute_not_exists(#pk)",
                            "ExpressionAttributeNames": {"#pk": "id"},
                        }
                    },
                    {"Put": {"TableName": self.table, "Item": _to_item(version, LATEST), **latest_cond}},
                ]
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") == "TransactionCanceledException":
                raise VersionMismatch(version.number - 1) from exc
            # Re-serialising can grow a body (1e15 becomes 1000000000000000.0) past the item limit.
            if error.get("Code") == "ValidationException" and "size" in str(error.get("Message", "")):
                raise ItemTooLarge("record too large for one DynamoDB item once stored") from exc
            raise

    # -- health ------------------------------------------------------------------------------------

    def ping(self) -> None:
        self.client.get_item(
            TableName=self.table,
            Key={"id": {"S": f"__heartbeat__#{self.region}"}, "version": {"S": LATEST}},
        )
