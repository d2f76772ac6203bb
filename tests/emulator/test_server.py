"""The server itself: loopback only, the call log, IAM managed policies loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from emulator.server import check_host

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "localhost"])
def test_refuses_non_loopback_hosts(host: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1 only"):
        check_host(host)


def test_cli_exits_non_zero_on_public_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--host", "0.0.0.0", "--port", "1"],
        env={"PYTHONPATH": str(REPO / "local")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "127.0.0.1 only" in result.stderr


def test_call_log_counts_per_service_and_logs_mutations(emulator, client, unique) -> None:
    emulator.reset_calls()
    ec2 = client("ec2", "eu-west-1")
    ec2.describe_vpcs()
    ec2.describe_vpcs()
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]
    client("dynamodb", "eu-west-1").list_tables()
    calls = emulator.calls()
    assert calls["services"]["ec2"]["actions"] == {"CreateVpc": 1, "DescribeVpcs": 2}
    assert calls["services"]["dynamodb"]["actions"] == {"ListTables": 1}
    assert calls["total"] == 4
    assert [(c["service"], c["region"], c["action"]) for c in calls["mutating"]] == [("ec2", "eu-west-1", "CreateVpc")]
    ec2.delete_vpc(VpcId=vpc["VpcId"])
    emulator.reset_calls()
    assert emulator.calls() == {"total": 0, "services": {}, "mutating": []}


def test_read_only_run_logs_no_mutation(emulator, client) -> None:
    emulator.reset_calls()
    client("autoscaling").describe_auto_scaling_groups()
    client("ec2").describe_managed_prefix_lists()
    assert emulator.calls()["mutating"] == []


def test_iam_managed_policies_are_loaded(client) -> None:
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert client("iam").get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn
