"""Deletion protection guards a replica; UpdateTable SSESpecification changes encryption on every replica."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

HOME, OTHER = "us-west-2", "eu-west-1"


@pytest.fixture
def two_replicas(client, unique) -> str:
    ddb = client("dynamodb", HOME)
    ddb.create_table(
        TableName=unique,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb.update_table(TableName=unique, ReplicaUpdates=[{"Create": {"RegionName": OTHER}}])
    return unique


def test_protected_replica_cannot_be_removed(client, two_replicas) -> None:
    client("dynamodb", OTHER).update_table(TableName=two_replicas, DeletionProtectionEnabled=True)
    home = client("dynamodb", HOME)
    with pytest.raises(ClientError, match="DeletionProtectionEnabled") as caught:
        home.update_table(TableName=two_replicas, ReplicaUpdates=[{"Delete": {"RegionName": OTHER}}])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    # Refused before anything changed: the replica is still there.
    assert client("dynamodb", OTHER).describe_table(TableName=two_replicas)["Table"]["TableStatus"] == "ACTIVE"
    client("dynamodb", OTHER).update_table(TableName=two_replicas, DeletionProtectionEnabled=False)
    home.update_table(TableName=two_replicas, ReplicaUpdates=[{"Delete": {"RegionName": OTHER}}])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        client("dynamodb", OTHER).describe_table(TableName=two_replicas)


def test_sse_update_reaches_every_replica(client, two_replicas) -> None:
    home = client("dynamodb", HOME)
    for region in (HOME, OTHER):
        assert "SSEDescription" not in client("dynamodb", region).describe_table(TableName=two_replicas)["Table"]
    home.update_table(TableName=two_replicas, SSESpecification={"Enabled": True, "SSEType": "KMS"})
    for region in (HOME, OTHER):
        sse = client("dynamodb", region).describe_table(TableName=two_replicas)["Table"]["SSEDescription"]
        assert sse["Status"] == "ENABLED" and sse["SSEType"] == "KMS"
        managed = client("kms", region).describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]["Arn"]
        assert sse["KMSMasterKeyArn"] == managed  # each replica uses its own Region's AWS managed key
    home.update_table(TableName=two_replicas, SSESpecification={"Enabled": False})
    for region in (HOME, OTHER):
        assert "SSEDescription" not in client("dynamodb", region).describe_table(TableName=two_replicas)["Table"]


def test_sse_update_with_a_named_key(client, unique) -> None:
    ddb = client("dynamodb", HOME)
    ddb.create_table(
        TableName=unique,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    key = client("kms", HOME).create_key()["KeyMetadata"]
    ddb.update_table(
        TableName=unique, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["KeyId"]}
    )
    assert ddb.describe_table(TableName=unique)["Table"]["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
