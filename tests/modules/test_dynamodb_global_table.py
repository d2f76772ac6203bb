"""dynamodb_global_table: replicas through UpdateTable ReplicaUpdates, per-region PITR and deletion protection."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_harness import eventually
from module_runner import ModuleResult, run_module

HOME = "us-west-2"
REGIONS = ["us-west-2", "eu-west-1", "ap-southeast-2"]
OTHERS = sorted(set(REGIONS) - {HOME})
ALLOWED_ACTIONS = {"UpdateTable", "UpdateContinuousBackups"}  # never CreateGlobalTable / UpdateGlobalTable


@pytest.fixture
def table(client, unique) -> str:
    """A table as amazon.aws.dynamodb_table leaves it: keys, on-demand, no stream, no SSE, no protection."""
    client("dynamodb", HOME).create_table(
        TableName=unique,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "version", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "version", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return unique


def gt(emulator, name: str, **args: Any) -> ModuleResult:
    check = args.pop("check", False)
    diff = args.pop("diff", False)
    return run_module(
        emulator.url, "dynamodb_global_table", {"name": name, **args}, region=HOME, check=check, diff=diff
    )


def exists(client, region: str, name: str) -> bool:
    try:
        client("dynamodb", region).describe_table(TableName=name)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "ResourceNotFoundException"
        return False
    return True


def pitr(client, region: str, name: str) -> str:
    backups = client("dynamodb", region).describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    return str(backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"])


def mutating(emulator) -> list[dict[str, Any]]:
    return list(emulator.calls()["mutating"])


def test_check_mode_reports_the_change_and_creates_nothing(emulator, client, table) -> None:
    emulator.reset_calls()
    result = gt(emulator, table, regions=REGIONS, check=True)
    assert not result.failed, result.msg
    assert result.changed
    assert result["added"] == OTHERS and result["removed"] == []
    assert result["regions"] == sorted(REGIONS)
    assert mutating(emulator) == []
    assert not any(exists(client, region, table) for region in OTHERS)
    home = client("dynamodb", HOME).describe_table(TableName=table)["Table"]
    assert "StreamSpecification" not in home and "Replicas" not in home
    assert home["DeletionProtectionEnabled"] is False


def test_create_three_regions_then_rerun_changes_nothing(emulator, client, table) -> None:
    emulator.reset_calls()
    result = gt(emulator, table, regions=REGIONS)
    assert not result.failed, result.msg
    assert result.changed
    assert result["added"] == OTHERS and result["removed"] == []
    assert result["regions"] == sorted(REGIONS)
    assert result["global_table_version"] == "2019.11.21"
    assert result["replicas"] == [{"region_name": r, "replica_status": "ACTIVE"} for r in sorted(REGIONS)]
    assert result["table_arn"].endswith(f":table/{table}")
    calls = mutating(emulator)
    assert {c["action"] for c in calls} <= ALLOWED_ACTIONS
    # Streams, SSE and two replicas in the home region; deletion protection once in each region.
    assert sum(c["action"] == "UpdateTable" for c in calls) == 4 + len(REGIONS)
    assert sorted(c["region"] for c in calls if c["action"] == "UpdateContinuousBackups") == sorted(REGIONS)
    for region in REGIONS:
        described = client("dynamodb", region).describe_table(TableName=table)["Table"]
        assert described["TableStatus"] == "ACTIVE"
        assert described["DeletionProtectionEnabled"] is True
        assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert described["SSEDescription"]["SSEType"] == "KMS"
        assert {r["RegionName"] for r in described["Replicas"]} >= set(REGIONS) - {region}
        assert pitr(client, region, table) == "ENABLED"

    emulator.reset_calls()
    again = gt(emulator, table, regions=list(reversed(REGIONS)))
    assert not again.failed, again.msg
    assert not again.changed
    assert again["added"] == [] and again["removed"] == []
    assert mutating(emulator) == []


def test_diff_shows_before_and_after(emulator, table) -> None:
    result = gt(emulator, table, regions=REGIONS, diff=True, check=True)
    assert result.changed
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert before == {
        "regions": [HOME],
        "stream_view_type": None,
        "sse": "aws_owned",
        "point_in_time_recovery": {HOME: False},
        "deletion_protection": {HOME: False},
    }
    assert after == {
        "regions": sorted(REGIONS),
        "stream_view_type": "NEW_AND_OLD_IMAGES",
        "sse": "aws_managed_kms",
        "point_in_time_recovery": dict.fromkeys(sorted(REGIONS), True),
        "deletion_protection": dict.fromkeys(sorted(REGIONS), True),
    }


def test_removing_a_region_removes_only_that_replica(emulator, client, table) -> None:
    assert not gt(emulator, table, regions=REGIONS).failed
    result = gt(emulator, table, regions=[HOME, "eu-west-1"], diff=True)
    assert not result.failed, result.msg
    assert result.changed
    assert result["removed"] == ["ap-southeast-2"] and result["added"] == []
    assert result["regions"] == ["eu-west-1", HOME]
    assert result["diff"]["before"]["regions"] == sorted(REGIONS)
    assert not exists(client, "ap-southeast-2", table)
    eu = client("dynamodb", "eu-west-1").describe_table(TableName=table)["Table"]
    assert eu["DeletionProtectionEnabled"] is True  # only the removed replica lost its protection
    home = client("dynamodb", HOME).describe_table(TableName=table)["Table"]
    assert [r["RegionName"] for r in home["Replicas"]] == ["eu-west-1"]


def test_settings_follow_the_options_in_every_region(emulator, client, table) -> None:
    assert not gt(emulator, table, regions=REGIONS).failed
    result = gt(
        emulator, table, regions=REGIONS, sse="aws_owned", point_in_time_recovery=False, deletion_protection=False
    )
    assert not result.failed, result.msg
    assert result.changed and result["added"] == [] and result["removed"] == []
    for region in REGIONS:
        described = client("dynamodb", region).describe_table(TableName=table)["Table"]
        assert "SSEDescription" not in described
        assert described["DeletionProtectionEnabled"] is False
        assert pitr(client, region, table) == "DISABLED"


def test_an_item_written_in_eu_is_read_everywhere(emulator, client, table) -> None:
    assert not gt(emulator, table, regions=REGIONS).failed
    key = {"id": {"S": "r1"}, "version": {"S": "v0"}}
    client("dynamodb", "eu-west-1").put_item(TableName=table, Item={**key, "body": {"S": "from Ireland"}})

    def everywhere() -> None:
        for region in ("us-west-2", "ap-southeast-2"):
            item = client("dynamodb", region).get_item(TableName=table, Key=key).get("Item")
            assert item is not None and item["body"]["S"] == "from Ireland", region

    eventually(everywhere)


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        (["eu-west-1", "ap-southeast-2"], "must include the home region us-west-2"),
        (["us-west-2", "eu-west-1", "eu-west-1"], "named more than once: ['eu-west-1']"),
        (["us-west-2", "Ireland"], "not region names: ['Ireland']"),
    ],
)
def test_bad_regions_fail_clearly_and_change_nothing(emulator, client, table, regions, message) -> None:
    emulator.reset_calls()
    result = gt(emulator, table, regions=regions)
    assert result.failed
    assert message in result.msg
    assert mutating(emulator) == []
    assert not exists(client, "eu-west-1", table)


def test_missing_table_fails_clearly(emulator, unique) -> None:
    result = gt(emulator, unique, regions=REGIONS)
    assert result.failed
    assert f"Table {unique} does not exist in us-west-2" in result.msg


def test_stream_with_another_view_type_fails(emulator, client, table) -> None:
    client("dynamodb", HOME).update_table(
        TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    emulator.reset_calls()
    result = gt(emulator, table, regions=REGIONS)
    assert result.failed
    assert "KEYS_ONLY" in result.msg and "NEW_AND_OLD_IMAGES" in result.msg
    assert mutating(emulator) == []


def test_absent_lifts_protection_and_removes_replicas_twice(emulator, client, table) -> None:
    assert not gt(emulator, table, regions=REGIONS).failed
    check = gt(emulator, table, state="absent", check=True)
    assert check.changed and check["removed"] == OTHERS
    assert all(exists(client, region, table) for region in OTHERS)

    result = gt(emulator, table, state="absent")
    assert not result.failed, result.msg
    assert result.changed
    assert result["removed"] == OTHERS and result["regions"] == [HOME]
    assert not any(exists(client, region, table) for region in OTHERS)
    home = client("dynamodb", HOME).describe_table(TableName=table)["Table"]
    assert home["DeletionProtectionEnabled"] is False
    assert "Replicas" not in home

    emulator.reset_calls()
    again = gt(emulator, table, state="absent")
    assert not again.failed, again.msg
    assert not again.changed and again["removed"] == []
    assert mutating(emulator) == []
    client("dynamodb", HOME).delete_table(TableName=table)  # the role's next step works: nothing protects it


def test_absent_on_a_missing_table_is_ok(emulator, unique) -> None:
    result = gt(emulator, unique, state="absent")
    assert not result.failed, result.msg
    assert not result.changed
    assert result["removed"] == [] and result["table_arn"] == ""
