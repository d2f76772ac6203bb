"""site.yml end to end on a private emulator: build, re-run (changed=0), --check (changed=0), the stack
through the AWS API, destroy (nothing left), destroy again (changed=0), destroy of a half-built stack."""

from __future__ import annotations

import pytest
from playbook_runner import run_playbook
from stack_scan import PREFIX, REGIONS, leftovers

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def deployed(stack_emulator):
    run = run_playbook(stack_emulator.url, "site.yml")
    assert run.returncode == 0, run.output[-5000:]
    return run


def test_first_run_builds_every_region_and_prints_the_summary(deployed):
    assert set(deployed.recap) >= {"us", "eu", "au"}
    assert all(deployed.changed[h] > 0 for h in ("us", "eu", "au"))
    for region in REGIONS:
        assert f"| {region}" in deployed.output or f" {region} " in deployed.output
    assert "asg desired/in service" in deployed.output


def test_second_run_changes_nothing(stack_emulator, deployed):
    run = run_playbook(stack_emulator.url, "site.yml")
    assert run.returncode == 0, run.output[-5000:]
    assert run.changed and set(run.changed.values()) == {0}, run.changed


def test_check_mode_on_the_built_stack_changes_nothing(stack_emulator, deployed):
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, "site.yml", "--check")
    assert run.returncode == 0, run.output[-5000:]
    assert set(run.changed.values()) == {0}, run.changed
    assert stack_emulator.calls()["mutating"] == []


@pytest.mark.parametrize("region", REGIONS)
def test_each_region_has_the_whole_stack(stack_emulator, deployed, region):
    ec2 = stack_emulator.client("ec2", region)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [PREFIX]}])["Vpcs"]
    assert len(vpcs) == 1
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["Subnets"]
    tiers = {(s["AvailabilityZone"], {t["Key"]: t["Value"] for t in s["Tags"]}["Tier"]) for s in subnets}
    assert len({az for az, _ in tiers}) == 3
    assert {tier for _, tier in tiers} == {"public", "private"} and len(tiers) == 6

    elb = stack_emulator.client("elbv2", region)
    albs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == PREFIX]
    assert len(albs) == 1
    listeners = elb.describe_listeners(LoadBalancerArn=albs[0]["LoadBalancerArn"])["Listeners"]
    assert sorted(listener["Port"] for listener in listeners) == [80, 443]
    https = next(listener for listener in listeners if listener["Port"] == 443)
    forward = next(a for a in https["DefaultActions"] if a["Type"] == "forward")
    weights = {
        tg["TargetGroupArn"].split(":targetgroup/")[1].split("/")[0]: tg["Weight"]
        for tg in forward["ForwardConfig"]["TargetGroups"]
    }
    assert weights == {f"{PREFIX}-blue": 100, f"{PREFIX}-green": 0}
    groups = [tg for tg in elb.describe_target_groups()["TargetGroups"] if tg["TargetGroupName"].startswith(PREFIX)]
    assert sorted(tg["TargetGroupName"] for tg in groups) == [f"{PREFIX}-blue", f"{PREFIX}-green"]
    assert {tg["HealthCheckPath"] for tg in groups} == {"/readyz"}

    autoscaling = stack_emulator.client("autoscaling", region)
    asgs = {
        g["AutoScalingGroupName"]: g
        for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        if g["AutoScalingGroupName"].startswith(PREFIX)
    }
    assert sorted(asgs) == [f"{PREFIX}-blue", f"{PREFIX}-green"]
    assert asgs[f"{PREFIX}-blue"]["DesiredCapacity"] >= 3 and asgs[f"{PREFIX}-green"]["DesiredCapacity"] == 0
    for name in asgs:
        hooks = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName=name)["LifecycleHooks"]
        assert sorted(h["LifecycleTransition"] for h in hooks) == [
            "autoscaling:EC2_INSTANCE_LAUNCHING",
            "autoscaling:EC2_INSTANCE_TERMINATING",
        ]

    templates = ec2.describe_launch_templates(Filters=[{"Name": "tag:Project", "Values": ["tricontinent"]}])[
        "LaunchTemplates"
    ]
    assert len(templates) == 2
    for template in templates:
        version = ec2.describe_launch_template_versions(
            LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"]
        )
        data = version["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required"

    cloudwatch = stack_emulator.client("cloudwatch", region)
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(
        f"{PREFIX}-{colour}-{kind}"
        for colour in ("blue", "green")
        for kind in ("target-5xx", "latency-p99", "unhealthy-hosts")
    )
    topic = next(t["TopicArn"] for t in stack_emulator.client("sns", region).list_topics()["Topics"])
    assert all(a["AlarmActions"] == [topic] for a in alarms)
    assert {d["Name"] for a in alarms for d in a["Dimensions"]} == {"TargetGroup", "LoadBalancer"}


def test_destroy_leaves_nothing_and_a_second_destroy_changes_nothing(stack_emulator, deployed):
    run = run_playbook(stack_emulator.url, "destroy.yml", "-e", "confirm=yes")
    assert run.returncode == 0, run.output[-5000:]
    assert leftovers(stack_emulator) == []
    again = run_playbook(stack_emulator.url, "destroy.yml", "-e", "confirm=yes")
    assert again.returncode == 0, again.output[-5000:]
    assert set(again.changed.values()) == {0}, again.changed


def test_destroy_of_a_half_built_stack_leaves_nothing(stack_emulator, deployed, tmp_path):
    # A deploy stopped after the network and artifact roles of one region, as an interrupted run leaves it.
    partial = run_playbook(stack_emulator.url, "tests/playbooks/fixtures/half_built.yml", "--limit", "eu")
    assert partial.returncode == 0, partial.output[-5000:]
    assert leftovers(stack_emulator), "the half-built stack should exist before the destroy"
    run = run_playbook(stack_emulator.url, "destroy.yml", "-e", "confirm=yes")
    assert run.returncode == 0, run.output[-5000:]
    assert leftovers(stack_emulator) == []
