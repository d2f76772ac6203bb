"""DynamoDB: deletion protection guards a global table replica, and UpdateTable changes server-side encryption.

Deletion protection. On AWS, ``UpdateTable`` ``ReplicaUpdates`` ``Delete`` invokes ``DeleteTableReplica`` in
the replica's Region (API Reference, ``ReplicationGroupUpdate``), and a table whose ``DeletionProtectionEnabled``
is true cannot be deleted (Developer Guide, "Using deletion protection"). Deletion protection is a setting of
each replica, not of the global table (Developer Guide, "Best practices for global tables": "You must enable
deletion protection on each replica"), so removing a protected replica fails with ``ValidationException``
until its protection is lifted in its own Region. The global tables fix removed a protected replica anyway.

Encryption. ``UpdateTable`` ``SSESpecification`` moves a table between an AWS owned key (``Enabled: false``)
and AWS KMS (``Enabled: true``, ``SSEType: KMS``; the AWS managed key ``alias/aws/dynamodb`` unless
``KMSMasterKeyId`` names another) — API Reference ``UpdateTable``, ``SSESpecification``. Stock moto ignores the
parameter. The encryption type is a setting of the whole global table (CloudFormation
``AWS::DynamoDB::GlobalTable`` ``SSESpecification``: AWS managed and customer managed keys cannot be mixed), so
the change reaches every replica, each with its own Region's key.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.exceptions import DeletionProtectedException, MockValidationException
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.kms.models import kms_backends

from emulator.fixes.dynamodb_global_tables import group_of

DEFAULT_KEY = "alias/aws/dynamodb"


def refuse_protected_replica_deletes(table: Table, updates: list[dict[str, Any]]) -> None:
    """Raise before any replica is touched if one to be deleted still has deletion protection on."""
    for update in updates:
        region = (update.get("Delete") or {}).get("RegionName")
        if not region:
            continue
        replica = dynamodb_backends[table.account_id][region].tables.get(table.name)
        if replica is not None and replica.deletion_protection_enabled:
            raise DeletionProtectedException(table.name)


def _key_arn(table: Table, key_id: str | None) -> str:
    """The ARN of the KMS key in the table's Region: the AWS managed DynamoDB key unless another is named."""
    if key_id in (None, DEFAULT_KEY, f"arn:aws:kms:{table.region_name}:{table.account_id}:{DEFAULT_KEY}"):
        return table._get_default_encryption_key(table.account_id, table.region_name)
    kms = kms_backends[table.account_id][table.region_name]
    try:
        return kms.describe_key(str(key_id)).arn
    except Exception as exc:  # moto's NotFoundException and malformed ids alike
        raise MockValidationException(f"KMSMasterKeyId {key_id} is not a key in {table.region_name}") from exc


def _set_sse(table: Table, spec: dict[str, Any], key_id: str | None) -> None:
    if spec.get("Enabled"):
        if spec.get("SSEType", "KMS") != "KMS":
            raise MockValidationException("SSEType must be KMS when server-side encryption is enabled")
        table.sse_specification = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": _key_arn(table, key_id)}
    else:
        table.sse_specification = None  # an AWS owned key: DescribeTable shows no SSEDescription


def update_sse(table: Table, spec: dict[str, Any]) -> None:
    group = group_of(table)
    regions = sorted(group.regions) if group is not None else [table.region_name]
    for region in regions:
        target = dynamodb_backends[table.account_id][region].tables.get(table.name)
        if target is None:
            continue
        # A named key is regional: only the table it was sent to can use it; the others keep their default key.
        _set_sse(target, spec, spec.get("KMSMasterKeyId") if target is table else None)


def apply() -> None:
    original_update = DynamoHandler.update_table

    def update_table(self: DynamoHandler) -> Any:
        replica_updates = self.body.get("ReplicaUpdates")
        sse = self.body.get("SSESpecification")
        if replica_updates or sse:
            table = self.dynamodb_backend.get_table(self.body["TableName"])
            if replica_updates:
                refuse_protected_replica_deletes(table, replica_updates)
            if sse:
                update_sse(table, sse)
        return original_update(self)

    DynamoHandler.update_table = update_table  # type: ignore[method-assign]
