"""Property: concurrent writes in three regions, replicated last-writer-wins with random delays, converge
without losing an acknowledged version.

The replication model mirrors DynamoDB global tables: every item a region writes is shipped to each other
region independently, after an arbitrary delay, and applied there only if its write timestamp is newer than
the copy already present (per-item last-writer-wins, ties broken by region). Replicated writes are not
replicated again."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from conftest import create_table
from monolith.store import LATEST, RecordDeleted, RecordNotFound, RecordStore, VersionMismatch

REGIONS = ("us-west-2", "eu-west-1", "ap-southeast-2")
RECORDS = ("alpha", "beta")
_examples = itertools.count()
TABLE = "replication-model"


@dataclass
class World:
    table: str
    records: tuple[str, ...]
    clients: dict[str, Any]
    stores: dict[str, RecordStore]
    pending: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    acknowledged: list[tuple[str, str, Any]] = field(default_factory=list)  # (record id, history key, data)

    def ship(self, source: str, record_id: str, key: str) -> None:
        """Queue the items one acknowledged write produced for every other region."""
        client = self.clients[source]
        for sort_key in (key, LATEST):
            item = client.get_item(
                TableName=self.table,
                Key={"id": {"S": record_id}, "version": {"S": sort_key}},
                ConsistentRead=True,
            )["Item"]
            for dest in REGIONS:
                if dest != source:
                    self.pending.append((dest, item))

    def deliver(self, index: int) -> None:
        dest, item = self.pending.pop(index % len(self.pending))
        # Last-writer-wins as one conditional put; one logical clock means timestamps never tie.
        try:
            self.clients[dest].put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk) OR written_ns < :ts",
                ExpressionAttributeNames={"#pk": "id"},
                ExpressionAttributeValues={":ts": item["written_ns"]},
            )
        except self.clients[dest].exceptions.ConditionalCheckFailedException:
            pass  # the destination already holds a newer write of this item

    def settle(self) -> None:
        while self.pending:
            self.deliver(0)

    def dump(self, region: str) -> dict[tuple[str, str], dict[str, Any]]:
        out = {}
        for record_id in self.records:
            items = self.clients[region].query(
                TableName=self.table,
                KeyConditionExpression="#pk = :id",
                ExpressionAttributeNames={"#pk": "id"},
                ExpressionAttributeValues={":id": {"S": record_id}},
                ConsistentRead=True,
            )["Items"]
            out.update({(i["id"]["S"], i["version"]["S"]): i for i in items})
        return out


_clients: dict[str, Any] = {}


def make_tables() -> None:
    # Clients and tables are made once per test: building them is most of an example's cost otherwise.
    _clients.clear()
    for region in REGIONS:
        _clients[region] = boto3.client("dynamodb", region_name=region)
        create_table(_clients[region], TABLE)


def _clear(client: Any) -> None:
    # moto's query cost grows with the table, so each example starts from empty tables.
    items = client.scan(TableName=TABLE, ProjectionExpression="#pk, #sk", ExpressionAttributeNames=_KEYS)[
        "Items"
    ]
    for start in range(0, len(items), 25):
        requests = [{"DeleteRequest": {"Key": i}} for i in items[start : start + 25]]
        client.batch_write_item(RequestItems={TABLE: requests})


_KEYS = {"#pk": "id", "#sk": "version"}


def make_world() -> World:
    example = next(_examples)
    records = tuple(f"e{example}-{name}" for name in RECORDS)
    for client in _clients.values():
        _clear(client)
    clock = itertools.count(1_000_000_000)  # one logical clock: "wall time" the regions agree on
    clients = dict(_clients)
    stores = {
        r: RecordStore(c, TABLE, r, clock=lambda: next(clock), new_id=lambda: "unused")
        for r, c in clients.items()
    }
    return World(TABLE, records, clients, stores)


write = st.tuples(
    st.just("write"), st.sampled_from(REGIONS), st.sampled_from(range(len(RECORDS))), st.integers(0, 10**6)
)
delete = st.tuples(
    st.just("delete"), st.sampled_from(REGIONS), st.sampled_from(range(len(RECORDS))), st.just(0)
)
deliver = st.tuples(st.just("deliver"), st.just(""), st.just(0), st.integers(0, 10**6))
steps = st.lists(st.one_of(write, write, write, delete, deliver, deliver), min_size=1, max_size=20)


def seed(world: World) -> None:
    origin = REGIONS[0]
    for n, record_id in enumerate(world.records):
        world.stores[origin]._new_id = lambda rid=record_id: rid  # type: ignore[misc]
        version = world.stores[origin].create({"seed": n})
        world.acknowledged.append((record_id, version.key, {"seed": n}))
        world.ship(origin, record_id, version.key)
    world.settle()


def apply(world: World, op: str, region: str, record: int, value: int) -> None:
    if op == "deliver":
        if world.pending:
            world.deliver(value)
        return
    store = world.stores[region]
    record_id = world.records[record]
    try:
        head = store.get(record_id)
        if op == "write":
            version = store.update(record_id, head.winner.number, {"value": value, "by": region})
        else:
            version = store.delete(record_id, head.winner.number)
    except (RecordDeleted, RecordNotFound, VersionMismatch):
        return  # refused, so never acknowledged: nothing to keep
    world.acknowledged.append((record_id, version.key, version.data))
    world.ship(region, record_id, version.key)


@settings(
    max_examples=30,  # each example is ~100 moto calls; this keeps the test near 10 s
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(steps)
def _converges(ops: list[tuple[str, str, int, int]]) -> None:
    world = make_world()
    seed(world)
    for op in ops:
        apply(world, *op)
    world.settle()

    dumps = {r: world.dump(r) for r in REGIONS}
    assert dumps[REGIONS[1]] == dumps[REGIONS[0]]
    assert dumps[REGIONS[2]] == dumps[REGIONS[0]]

    for record_id, key, data in world.acknowledged:
        for region in REGIONS:
            item = dumps[region].get((record_id, key))
            assert item is not None, f"acknowledged {record_id}/{key} missing in {region}"
            stored = item.get("data", {}).get("S")
            assert (stored is None) == (data is None)

    for record_id in world.records:
        heads = {r: world.stores[r].head(record_id) for r in REGIONS}
        winners = {h.winner.key for h in heads.values()}
        assert len(winners) == 1, f"regions disagree on the head of {record_id}: {winners}"
        siblings = {tuple(s.key for s in h.siblings) for h in heads.values()}
        assert len(siblings) == 1
        acked = [(int(k[1:7]), k.split("#")[1]) for rid, k, _ in world.acknowledged if rid == record_id]
        number, region = max(acked)
        assert winners == {f"v{number:06d}#{region}"}
        versions, _ = world.stores[REGIONS[0]].versions(record_id, 100)
        acked_keys = {k for rid, k, _ in world.acknowledged if rid == record_id}
        assert acked_keys <= {v.key for v in versions}
        # Not lost *silently*: every acknowledged version is the head, a reported sibling, or an ancestor
        # of one of them through the supersedes links (a later write saw it).
        head = heads[REGIONS[0]]
        by_key = {v.key: v for v in versions}
        reachable: set[str] = set()
        frontier = [head.winner.key, *(s.key for s in head.siblings)]
        while frontier:
            key = frontier.pop()
            if key not in reachable:
                reachable.add(key)
                frontier.extend(by_key[key].supersedes)
        assert acked_keys <= reachable, (
            f"versions neither current, conflicting nor superseded: {acked_keys - reachable}"
        )


def test_concurrent_regions_converge_without_losing_versions() -> None:
    with mock_aws():
        make_tables()
        _converges()


@pytest.fixture
def world() -> Iterator[World]:
    """A seeded three-region world for the hand-written scenarios."""
    with mock_aws():
        make_tables()
        seeded = make_world()
        seed(seeded)
        yield seeded


def test_concurrent_writes_in_two_regions_are_reported_as_siblings(world: World) -> None:
    """The scenario the property explores, spelled out: both v2 survive and reads name the loser."""
    us, eu = world.stores["us-west-2"], world.stores["eu-west-1"]
    alpha = world.records[0]
    a = us.update(alpha, 1, {"by": "us"})
    b = eu.update(alpha, 1, {"by": "eu"})
    world.ship("us-west-2", alpha, a.key)
    world.ship("eu-west-1", alpha, b.key)
    world.settle()
    for region in REGIONS:
        head = world.stores[region].get(alpha)
        assert head.winner.key == "v000002#us-west-2"  # ("us-west-2" > "eu-west-1")
        assert [s.key for s in head.siblings] == ["v000002#eu-west-1"]
    # The next write supersedes both siblings and clears the conflict.
    c = eu.update(alpha, 2, {"by": "eu, merged"})
    assert set(c.supersedes) == {"v000002#us-west-2", "v000002#eu-west-1"}
    assert eu.get(alpha).siblings == ()


def test_conflict_stays_reported_after_the_other_region_moves_on(world: World) -> None:
    """eu writes v2 and v3 before us's concurrent v2 arrives: us's v2 is an unseen leaf, still reported."""
    us, eu = world.stores["us-west-2"], world.stores["eu-west-1"]
    alpha = world.records[0]
    lost = us.update(alpha, 1, {"by": "us"})
    eu.update(alpha, 1, {"by": "eu"})
    newer = eu.update(alpha, 2, {"by": "eu again"})
    world.ship("us-west-2", alpha, lost.key)
    world.ship("eu-west-1", alpha, "v000002#eu-west-1")
    world.ship("eu-west-1", alpha, newer.key)
    world.settle()
    for region in REGIONS:
        head = world.stores[region].get(alpha)
        assert head.winner.key == "v000003#eu-west-1"
        assert [s.key for s in head.siblings] == [lost.key]
        assert head.siblings[0].data == {"by": "us"}
