"""DynamoDB global tables, version 2019.11.21: replicas through UpdateTable, and replication between them.

On AWS, ``UpdateTable`` with ``ReplicaUpdates`` ``Create``/``Delete`` adds or removes a replica of the table in
another region; DescribeTable then reports ``GlobalTableVersion: 2019.11.21`` and ``Replicas`` (every other
region holding a replica, with ``ReplicaStatus``); every write to any replica reaches the others through
DynamoDB Streams (``NEW_AND_OLD_IMAGES``, enabled with the first replica), concurrent writes resolved
last-writer-wins (DynamoDB Developer Guide, "Global tables - multi-Region replication", "How global tables
work", "Adding/removing a replica"; API Reference ``UpdateTable.ReplicaUpdates``, ``TableDescription.Replicas``).
Stock moto answers ``ReplicaUpdates`` with 200 and does nothing.

Here a replica is created ``ACTIVE`` at once with the same key schema, attribute definitions, billing mode,
indexes, SSE and stream settings, and the current items copied in. A background thread per emulator copies
each write and delete from a replica's stream to the other replicas, typically within milliseconds; a change
is applied only if it is newer (by write timestamp) than the last change to that item in the target, which is
last-writer-wins. ``DeleteTable`` on a table that still has replicas fails with ``ValidationException``;
remove the replicas first. A replica cannot be removed through its own region's endpoint.
"""

from __future__ import annotations

import copy
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamRecord, StreamShard, Table
from moto.dynamodb.responses import DynamoHandler

VERSION = "2019.11.21"
_ATTR = "_emulator_global_table"


@dataclass(eq=False)
class GlobalTable:
    """The replicas of one table: shared by the Table objects of every region that holds one."""

    account_id: str
    name: str
    regions: set[str] = field(default_factory=set)
    # (region, item key) -> write timestamp of the last change applied there.
    stamps: dict[tuple[str, str], float] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    group: GlobalTable
    source_region: str
    key: dict[str, Any]
    image: dict[str, Any] | None  # None: the item was deleted
    stamp: float


_lock = threading.RLock()
_local = threading.local()
_changes: queue.Queue[Change] = queue.Queue()
_worker: threading.Thread | None = None


def group_of(table: Table) -> GlobalTable | None:
    return table.__dict__.get(_ATTR)


def _replica(group: GlobalTable, region: str) -> Table | None:
    table = dynamodb_backends[group.account_id][region].tables.get(group.name)
    return table if table is not None and group_of(table) is group else None


def _key_text(key: dict[str, Any]) -> str:
    return repr(sorted((name, sorted(value.items())) for name, value in key.items()))


def _item_key(table: Table, item: Item) -> dict[str, Any]:
    key = {table.hash_key_attr: item.hash_key.to_json()}
    if table.range_key_attr is not None and item.range_key is not None:
        key[table.range_key_attr] = item.range_key.to_json()
    return key


# --- replication -----------------------------------------------------------------------------------------


def _on_stream_record(shard: StreamShard, old: Item | None, new: Item | None) -> None:
    if getattr(_local, "replicating", False):
        return
    table = shard.table
    group = group_of(table)
    if group is None or len(group.regions) < 2:
        return
    current = new if new is not None else old
    if current is None:
        return
    key = _item_key(table, current)
    image = copy.deepcopy(new.to_json()["Attributes"]) if new is not None else None
    stamp = time.time()
    with _lock:
        group.stamps[(table.region_name, _key_text(key))] = stamp
    _changes.put(Change(group, table.region_name, key, image, stamp))
    _ensure_worker()


def _apply(change: Change) -> None:
    group = change.group
    key_text = _key_text(change.key)
    with _lock:
        for region in sorted(group.regions - {change.source_region}):
            target = _replica(group, region)
            if target is None or group.stamps.get((region, key_text), 0.0) > change.stamp:
                continue  # gone, or holds a newer write of this item: last writer wins
            _local.replicating = True
            try:
                if change.image is not None:
                    target.put_item(change.image, overwrite=True)
                else:
                    hash_key = DynamoType(change.key[target.hash_key_attr])
                    range_key = DynamoType(change.key[target.range_key_attr]) if target.range_key_attr else None
                    target.delete_item(hash_key, range_key)
            finally:
                _local.replicating = False
            group.stamps[(region, key_text)] = change.stamp


def _replicate_forever() -> None:
    while True:
        change = _changes.get()
        try:
            _apply(change)
        except Exception as exc:
            print(f"emulator: replication of {change.group.name} failed: {exc!r}", flush=True)


def _ensure_worker() -> None:
    global _worker
    with _lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_replicate_forever, name="dynamodb-replicator", daemon=True)
            _worker.start()


# --- replica management ----------------------------------------------------------------------------------


def _index_specs(table: Table, local: bool) -> list[dict[str, Any]]:
    indexes = table.indexes if local else table.global_indexes
    specs = []
    for index in indexes:
        spec: dict[str, Any] = {"IndexName": index.name, "KeySchema": index.schema, "Projection": index.projection}
        throughput = getattr(index, "throughput", None)
        if not local and throughput:
            spec["ProvisionedThroughput"] = {
                k: v for k, v in throughput.items() if k in ("ReadCapacityUnits", "WriteCapacityUnits")
            }
        specs.append(copy.deepcopy(spec))
    return specs


def _ensure_stream(table: Table) -> None:
    spec = table.stream_specification or {}
    if not spec.get("StreamEnabled"):
        table.set_stream_specification({"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    elif spec.get("StreamViewType") != "NEW_AND_OLD_IMAGES":
        raise MockValidationException(
            "Table must have DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES to add replicas"
        )


def create_replica(source: Table, region: str) -> None:
    group = group_of(source) or GlobalTable(source.account_id, source.name, {source.region_name})
    if region in group.regions:
        raise MockValidationException(
            f"Failed to create a replica of table {source.name}: one already exists in {region}"
        )
    backend = dynamodb_backends[source.account_id][region]
    if source.name in backend.tables:
        raise MockValidationException(
            f"Failed to create a replica of table {source.name} in {region}:"
            " a table with that name already exists there"
        )
    _ensure_stream(source)
    throughput = {k: v for k, v in source.throughput.items() if k in ("ReadCapacityUnits", "WriteCapacityUnits")}
    sse = copy.deepcopy(source.sse_specification)
    if sse:
        sse.pop("KMSMasterKeyId", None)  # keys are regional: the replica gets its own region's key
    replica = backend.create_table(
        source.name,
        schema=copy.deepcopy(source.schema),
        throughput=throughput if source.billing_mode == "PROVISIONED" else None,
        attr=copy.deepcopy(source.attr),
        global_indexes=_index_specs(source, local=False),
        indexes=_index_specs(source, local=True),
        streams={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        billing_mode=source.billing_mode or "PROVISIONED",
        sse_specification=sse,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    replica.ttl = copy.deepcopy(source.ttl)
    with _lock:
        _local.replicating = True
        try:
            for item in source.all_items():
                replica.put_item(copy.deepcopy(item.to_json()["Attributes"]), overwrite=True)
        finally:
            _local.replicating = False
        group.regions.add(region)
        source.__dict__[_ATTR] = group
        replica.__dict__[_ATTR] = group


def delete_replica(table: Table, region: str) -> None:
    group = group_of(table)
    if group is None or region not in group.regions:
        raise MockValidationException(f"Replica of table {table.name} in region {region} does not exist")
    if region == table.region_name:
        raise MockValidationException(
            f"Cannot remove the replica in {region} through its own region;"
            " call UpdateTable in another replica's region"
        )
    replica = _replica(group, region)
    with _lock:
        group.regions.discard(region)
        if replica is not None:
            replica.__dict__.pop(_ATTR, None)
            dynamodb_backends[group.account_id][region].tables.pop(group.name, None)
        if len(group.regions) < 2:
            for remaining in group.regions:
                other = _replica(group, remaining)
                if other is not None:
                    other.__dict__.pop(_ATTR, None)


def update_replicas(table: Table, updates: list[dict[str, Any]]) -> None:
    for update in updates:
        if "Create" in update:
            create_replica(table, update["Create"]["RegionName"])
        elif "Delete" in update:
            delete_replica(table, update["Delete"]["RegionName"])


# --- patches ---------------------------------------------------------------------------------------------


def apply() -> None:
    original_describe = Table.describe

    def describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original_describe(self, base_key)
        group = group_of(self)
        if group is not None and len(group.regions) > 1:
            result[base_key]["GlobalTableVersion"] = VERSION
            result[base_key]["Replicas"] = [
                {"RegionName": region, "ReplicaStatus": "ACTIVE"}
                for region in sorted(group.regions - {self.region_name})
            ]
        return result

    Table.describe = describe  # type: ignore[method-assign]

    original_update = DynamoHandler.update_table

    def update_table(self: DynamoHandler) -> Any:
        updates = self.body.get("ReplicaUpdates")
        if updates:
            update_replicas(self.dynamodb_backend.get_table(self.body["TableName"]), updates)
        return original_update(self)

    DynamoHandler.update_table = update_table  # type: ignore[method-assign]

    original_delete = DynamoDBBackend.delete_table

    def delete_table(self: DynamoDBBackend, name: str) -> Table:
        table = self.get_table(name)
        group = group_of(table)
        if group is not None and len(group.regions) > 1:
            others = ", ".join(sorted(group.regions - {self.region_name}))
            raise MockValidationException(
                f"Table {name} has replicas in {others}; remove them with UpdateTable ReplicaUpdates Delete first"
            )
        return original_delete(self, name)

    DynamoDBBackend.delete_table = delete_table  # type: ignore[method-assign]

    original_add = StreamShard.add

    def add(self: StreamShard, old: Item | None, new: Item | None) -> None:
        original_add(self, old, new)
        _on_stream_record(self, old, new)

    StreamShard.add = add  # type: ignore[method-assign]

    original_record_init = StreamRecord.__init__

    def record_init(self: StreamRecord, table: Table, *args: Any, **kwargs: Any) -> None:
        original_record_init(self, table, *args, **kwargs)
        # Stream records name the region of the replica that was written (moto: always us-east-1).
        self.record["awsRegion"] = table.region_name

    StreamRecord.__init__ = record_init  # type: ignore[method-assign]
