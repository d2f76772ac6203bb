"""Auto Scaling: metrics collection, lifecycle actions (with and without holding), instance refresh."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from emulator.fixes.autoscaling_metrics import ALL_METRICS

IMAGE = "ami-12c6146b"


def make_group(emu, name: str, *, capacity: int = 1, hooks: tuple[str, ...] = (), timeout: int = 60) -> str:
    ec2 = emu.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.1.0/24")["Subnet"]["SubnetId"]
    lt = ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    asg = emu.client("autoscaling")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"},
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=0,
        VPCZoneIdentifier=subnet,
    )
    for transition in hooks:
        asg.put_lifecycle_hook(
            AutoScalingGroupName=name,
            LifecycleHookName=transition.rsplit("_", 1)[-1].lower(),
            LifecycleTransition=transition,
            HeartbeatTimeout=timeout,
            DefaultResult="ABANDON",
        )
    if capacity:
        asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=capacity)
    return lt


def instances(emu, name: str) -> dict[str, str]:
    group = emu.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return {i["InstanceId"]: i["LifecycleState"] for i in group["AutoScalingGroups"][0]["Instances"]}


LAUNCH = "autoscaling:EC2_INSTANCE_LAUNCHING"
TERMINATE = "autoscaling:EC2_INSTANCE_TERMINATING"


def test_metrics_collection_enable_disable(emulator, unique) -> None:
    make_group(emulator, unique, capacity=0)
    asg = emulator.client("autoscaling")

    def enabled() -> list[str]:
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[unique])["AutoScalingGroups"][0]
        return [m["Metric"] for m in group.get("EnabledMetrics", [])]

    asg.enable_metrics_collection(AutoScalingGroupName=unique, Granularity="1Minute", Metrics=["GroupMinSize"])
    asg.enable_metrics_collection(AutoScalingGroupName=unique, Granularity="1Minute", Metrics=["GroupMaxSize"])
    assert enabled() == ["GroupMinSize", "GroupMaxSize"]
    asg.disable_metrics_collection(AutoScalingGroupName=unique, Metrics=["GroupMinSize"])
    assert enabled() == ["GroupMaxSize"]
    asg.enable_metrics_collection(AutoScalingGroupName=unique, Granularity="1Minute")
    assert sorted(enabled()) == sorted(ALL_METRICS)
    asg.disable_metrics_collection(AutoScalingGroupName=unique)
    assert enabled() == []


def test_update_applies_termination_policies_and_default_cooldown(emulator, unique) -> None:
    make_group(emulator, unique, capacity=0)
    asg = emulator.client("autoscaling")
    asg.update_auto_scaling_group(
        AutoScalingGroupName=unique, TerminationPolicies=["OldestLaunchTemplate", "Default"], DefaultCooldown=120
    )
    asg.update_auto_scaling_group(AutoScalingGroupName=unique, MaxSize=3)  # leaves both as they are
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[unique])["AutoScalingGroups"][0]
    assert group["TerminationPolicies"] == ["OldestLaunchTemplate", "Default"]
    assert group["DefaultCooldown"] == 120
    assert group["MaxSize"] == 3


def test_lifecycle_actions_succeed_without_holding(emulator, unique) -> None:
    make_group(emulator, unique, hooks=(LAUNCH,))
    [(instance, state)] = instances(emulator, unique).items()
    assert state == "InService"
    asg = emulator.client("autoscaling")
    asg.record_lifecycle_action_heartbeat(
        AutoScalingGroupName=unique, LifecycleHookName="launching", InstanceId=instance
    )
    asg.complete_lifecycle_action(
        AutoScalingGroupName=unique,
        LifecycleHookName="launching",
        InstanceId=instance,
        LifecycleActionResult="CONTINUE",
    )
    assert instances(emulator, unique) == {instance: "InService"}
    with pytest.raises(ClientError, match="No active Lifecycle Action"):
        asg.complete_lifecycle_action(
            AutoScalingGroupName=unique,
            LifecycleHookName="launching",
            InstanceId="i-00000000000000000",
            LifecycleActionResult="CONTINUE",
        )


def test_launch_hook_holds_until_continue_or_abandon(holding_emulator, unique) -> None:
    emu = holding_emulator
    make_group(emu, unique, capacity=2, hooks=(LAUNCH,))
    waiting = instances(emu, unique)
    assert list(waiting.values()) == ["Pending:Wait", "Pending:Wait"]
    first, second = waiting
    asg = emu.client("autoscaling")
    asg.complete_lifecycle_action(
        AutoScalingGroupName=unique, LifecycleHookName="launching", InstanceId=first, LifecycleActionResult="CONTINUE"
    )
    asg.complete_lifecycle_action(
        AutoScalingGroupName=unique, LifecycleHookName="launching", InstanceId=second, LifecycleActionResult="ABANDON"
    )
    after = instances(emu, unique)
    assert after[first] == "InService"
    assert second not in after
    # The abandoned instance is replaced by a new one, held again.
    assert sorted(after.values()) == ["InService", "Pending:Wait"]
    state = emu.client("ec2").describe_instances(InstanceIds=[second])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] == "terminated"


def test_heartbeat_timeout_applies_default_result(holding_emulator, unique) -> None:
    emu = holding_emulator
    make_group(emu, unique, capacity=1, hooks=(LAUNCH,), timeout=1)
    [held] = instances(emu, unique)
    emu.client("autoscaling").record_lifecycle_action_heartbeat(
        AutoScalingGroupName=unique, LifecycleHookName="launching", InstanceId=held
    )
    time.sleep(1.3)
    # DefaultResult ABANDON: the held instance is gone and a replacement waits.
    after = instances(emu, unique)
    assert held not in after
    assert list(after.values()) == ["Pending:Wait"]


def test_terminate_hook_holds_scale_in(holding_emulator, unique) -> None:
    emu = holding_emulator
    make_group(emu, unique, capacity=1, hooks=(TERMINATE,))
    [instance] = instances(emu, unique)
    asg = emu.client("autoscaling")
    asg.set_desired_capacity(AutoScalingGroupName=unique, DesiredCapacity=0)
    assert instances(emu, unique) == {instance: "Terminating:Wait"}
    asg.complete_lifecycle_action(
        AutoScalingGroupName=unique,
        LifecycleHookName="terminating",
        InstanceId=instance,
        LifecycleActionResult="CONTINUE",
    )
    assert instances(emu, unique) == {}


def test_terminate_instance_in_group_goes_through_the_terminating_hook(holding_emulator, unique) -> None:
    emu = holding_emulator
    make_group(emu, unique, capacity=2, hooks=(TERMINATE,))
    asg = emu.client("autoscaling")
    asg.update_auto_scaling_group(AutoScalingGroupName=unique, MinSize=1)
    first, second = sorted(instances(emu, unique))
    # Without decrement: the instance waits in Terminating:Wait and a replacement launches at once.
    asg.terminate_instance_in_auto_scaling_group(InstanceId=first, ShouldDecrementDesiredCapacity=False)
    states = instances(emu, unique)
    assert states[first] == "Terminating:Wait" and len(states) == 3, states
    asg.complete_lifecycle_action(
        AutoScalingGroupName=unique, LifecycleHookName="terminating", InstanceId=first, LifecycleActionResult="CONTINUE"
    )
    assert first not in instances(emu, unique) and len(instances(emu, unique)) == 2
    # With decrement: capacity drops by one; below the minimum AWS refuses.
    asg.terminate_instance_in_auto_scaling_group(InstanceId=second, ShouldDecrementDesiredCapacity=True)
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[unique])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 1 and instances(emu, unique)[second] == "Terminating:Wait"
    [last] = [i for i, st in instances(emu, unique).items() if st == "InService"]
    with pytest.raises(ClientError, match="min size"):
        asg.terminate_instance_in_auto_scaling_group(InstanceId=last, ShouldDecrementDesiredCapacity=True)


def test_instance_refresh_replaces_instances_with_new_version(emulator, unique) -> None:
    lt = make_group(emulator, unique, capacity=2)
    before = set(instances(emulator, unique))
    emulator.client("ec2").create_launch_template_version(
        LaunchTemplateId=lt, LaunchTemplateData={"ImageId": IMAGE, "InstanceType": "t3.small"}
    )
    asg = emulator.client("autoscaling")
    refresh_id = asg.start_instance_refresh(AutoScalingGroupName=unique, Preferences={"MinHealthyPercentage": 50})[
        "InstanceRefreshId"
    ]
    [refresh] = asg.describe_instance_refreshes(AutoScalingGroupName=unique)["InstanceRefreshes"]
    assert refresh["InstanceRefreshId"] == refresh_id
    assert refresh["Status"] == "Successful"
    assert refresh["PercentageComplete"] == 100
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[unique])["AutoScalingGroups"][0]
    after = {i["InstanceId"]: i for i in group["Instances"]}
    assert len(after) == 2
    assert not before & set(after)
    assert {i["LaunchTemplate"]["Version"] for i in after.values()} == {"2"}
    assert {i["InstanceType"] for i in after.values()} == {"t3.small"}
    with pytest.raises(ClientError, match="ActiveInstanceRefreshNotFound"):
        asg.cancel_instance_refresh(AutoScalingGroupName=unique)


def test_instance_refresh_in_progress_while_hooks_hold(holding_emulator, unique) -> None:
    emu = holding_emulator
    make_group(emu, unique, capacity=1, hooks=(LAUNCH,))
    asg = emu.client("autoscaling")
    [first] = instances(emu, unique)
    asg.complete_lifecycle_action(
        AutoScalingGroupName=unique, LifecycleHookName="launching", InstanceId=first, LifecycleActionResult="CONTINUE"
    )
    asg.start_instance_refresh(AutoScalingGroupName=unique)
    with pytest.raises(ClientError, match="InstanceRefreshInProgress"):
        asg.start_instance_refresh(AutoScalingGroupName=unique)
    assert (
        asg.describe_instance_refreshes(AutoScalingGroupName=unique)["InstanceRefreshes"][0]["Status"] == "InProgress"
    )
    [new] = [i for i, s in instances(emu, unique).items() if s == "Pending:Wait"]
    asg.complete_lifecycle_action(
        AutoScalingGroupName=unique, LifecycleHookName="launching", InstanceId=new, LifecycleActionResult="CONTINUE"
    )
    assert (
        asg.describe_instance_refreshes(AutoScalingGroupName=unique)["InstanceRefreshes"][0]["Status"] == "Successful"
    )
    assert instances(emu, unique) == {new: "InService"}
    asg.start_instance_refresh(AutoScalingGroupName=unique)
    cancelled = asg.cancel_instance_refresh(AutoScalingGroupName=unique)["InstanceRefreshId"]
    [latest, _] = asg.describe_instance_refreshes(AutoScalingGroupName=unique)["InstanceRefreshes"]
    assert (latest["InstanceRefreshId"], latest["Status"]) == (cancelled, "Cancelled")
