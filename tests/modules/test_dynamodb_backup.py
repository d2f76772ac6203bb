"""dynamodb_backup: one on-demand backup per name, waited for, kept after the table is gone."""

from __future__ import annotations

from typing import Any

import pytest
from module_runner import ModuleResult, run_module

REGION = "us-west-2"


@pytest.fixture
def table(client, unique) -> str:
    dynamodb = client("dynamodb", REGION)
    dynamodb.create_table(
        TableName=unique,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=unique, Item={"id": {"S": "kept"}})
    return unique


def backup(emulator, table: str, name: str, **args: Any) -> ModuleResult:
    check = args.pop("check", False)
    return run_module(
        emulator.url, "dynamodb_backup", {"table_name": table, "backup_name": name, **args}, region=REGION, check=check
    )


def backups(client, table: str) -> list[dict[str, Any]]:
    return list(client("dynamodb", REGION).list_backups(TableName=table)["BackupSummaries"])


def test_check_mode_takes_no_backup(emulator, client, table) -> None:
    result = backup(emulator, table, f"{table}-final", check=True)
    assert result.changed and not result.failed
    assert backups(client, table) == []


def test_takes_one_backup_per_name_and_waits_until_available(emulator, client, table) -> None:
    first = backup(emulator, table, f"{table}-final")
    assert first.changed and first["backup_status"] == "AVAILABLE"
    assert first["table_arn"].endswith(f":table/{table}")
    emulator.reset_calls()
    again = backup(emulator, table, f"{table}-final")
    assert not again.changed and again["backup_arn"] == first["backup_arn"]
    assert emulator.calls()["mutating"] == []
    assert [b["BackupArn"] for b in backups(client, table)] == [first["backup_arn"]]


def test_the_backup_outlives_the_table_and_restores_its_items(emulator, client, table) -> None:
    taken = backup(emulator, table, f"{table}-final")
    dynamodb = client("dynamodb", REGION)
    dynamodb.delete_table(TableName=table)
    restored = f"{table}-restored"
    dynamodb.restore_table_from_backup(TargetTableName=restored, BackupArn=taken["backup_arn"])
    item = dynamodb.get_item(TableName=restored, Key={"id": {"S": "kept"}})
    assert item["Item"]["id"]["S"] == "kept"


def test_a_missing_table_is_no_change_when_allowed_and_an_error_otherwise(emulator, unique) -> None:
    allowed = backup(emulator, f"{unique}-none", f"{unique}-final", missing_table="ok")
    assert not allowed.changed and not allowed.failed and allowed["backup_arn"] == ""
    refused = backup(emulator, f"{unique}-none", f"{unique}-final")
    assert refused.failed and "No table named" in refused.msg


def test_a_bad_backup_name_fails_before_any_call(emulator, table) -> None:
    emulator.reset_calls()
    result = backup(emulator, table, "bad name!")
    assert result.failed and "backup_name must be" in result.msg
    assert emulator.calls()["total"] == 0
