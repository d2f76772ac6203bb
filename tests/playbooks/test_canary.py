"""The blue/green path end to end on a private emulator: v1 -> v2 on the idle colour -> 10 -> 50 -> 100
(green live) -> v3 on the new idle colour -> 10 -> an alarm during the bake -> every region back to 0; on the
way to 50, one region's API failing mid-wave and the same command converging after it.
Also: each invalid weight fails before any AWS call."""

from __future__ import annotations

import base64
import threading
import time

import pytest
from playbook_runner import run_playbook
from stack_scan import PREFIX, REGIONS, alb_tags

pytestmark = pytest.mark.e2e

NO_BAKE = ("-e", "canary_bake_seconds=0")


def weights(emulator, region: str) -> dict[str, int]:
    elb = emulator.client("elbv2", region)
    [alb] = elb.describe_load_balancers(Names=[PREFIX])["LoadBalancers"]
    https = next(
        li for li in elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"] if li["Port"] == 443
    )
    forward = next(a for a in https["DefaultActions"] if a["Type"] == "forward")
    return {
        t["TargetGroupArn"].split(":targetgroup/")[1].split("/")[0].rsplit("-", 1)[1]: t["Weight"]
        for t in forward["ForwardConfig"]["TargetGroups"]
    }


def colour_version(emulator, region: str, colour: str) -> tuple[str, str]:
    """The AppVersion tag of the colour's launch template and the APP_VERSION its latest user data exports."""
    ec2 = emulator.client("ec2", region)
    [template] = ec2.describe_launch_templates(LaunchTemplateNames=[f"{PREFIX}-{colour}"])["LaunchTemplates"]
    tag = {t["Key"]: t["Value"] for t in template["Tags"]}["AppVersion"]
    [latest] = ec2.describe_launch_template_versions(LaunchTemplateName=f"{PREFIX}-{colour}", Versions=["$Latest"])[
        "LaunchTemplateVersions"
    ]
    user_data = base64.b64decode(latest["LaunchTemplateData"]["UserData"]).decode()
    exported = next(line.split("=", 1)[1] for line in user_data.splitlines() if line.startswith("export APP_VERSION="))
    return tag, exported


def desired(emulator, region: str, colour: str) -> int:
    asg = emulator.client("autoscaling", region)
    [group] = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{PREFIX}-{colour}"])["AutoScalingGroups"]
    return group["DesiredCapacity"]


def ok(run) -> None:
    assert run.returncode == 0, run.output[-5000:]


@pytest.fixture(scope="module")
def v1(stack_emulator):
    ok(run_playbook(stack_emulator.url, "site.yml"))


@pytest.mark.parametrize("weight", ["10%", "ten", "-1", "101", "5.5", "", "+10", "10.0", "1e1", "0x10"])
def test_invalid_weight_fails_before_any_aws_call(stack_emulator, weight):
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, "canary.yml", "-e", f"weight={weight}", *NO_BAKE)
    assert run.returncode != 0
    assert "weight must be a whole number from 0 to 100" in run.output
    assert f"got '{weight}'" in run.output
    assert "Traceback" not in run.output
    assert stack_emulator.calls()["total"] == 0, "the weight is checked before any AWS call"


def test_canary_refuses_when_the_idle_colour_runs_nothing_new(stack_emulator, v1):
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, "canary.yml", "-e", "weight=10", *NO_BAKE)
    assert run.returncode != 0
    assert "not newer than the live" in run.output and "site.yml -e app_version=X" in run.output
    assert stack_emulator.calls()["mutating"] == []


def test_the_whole_blue_green_path(stack_emulator, v1):
    url = stack_emulator.url
    # v2 lands on green at weight 0, at capacity, in every region; a second identical run changes nothing.
    ok(run_playbook(url, "site.yml", "-e", "app_version=2"))
    for region in REGIONS:
        assert colour_version(stack_emulator, region, "green") == ("2", "2")
        assert colour_version(stack_emulator, region, "blue") == ("1", "1")
        assert weights(stack_emulator, region) == {"blue": 100, "green": 0}
        assert desired(stack_emulator, region, "green") == desired(stack_emulator, region, "blue") >= 3
    again = run_playbook(url, "site.yml", "-e", "app_version=2")
    ok(again)
    assert set(again.changed.values()) == {0}, again.changed

    run = run_playbook(url, "canary.yml", "-e", "weight=10", *NO_BAKE)
    ok(run)
    assert all(weights(stack_emulator, r) == {"blue": 90, "green": 10} for r in REGIONS)
    assert "before" in run.output and "blue 90, green 10" in run.output
    same = run_playbook(url, "canary.yml", "-e", "weight=10", *NO_BAKE)
    ok(same)
    assert set(same.changed.values()) == {0}, same.changed

    # eu's load balancer API fails its writes (500, not retried: see test_faults_mid_run.py) while the
    # second wave moves: the run stops naming eu, the first wave keeps its new weight, eu keeps its old
    # one, and the same command converges once the API answers again.
    stack_emulator.set_fault(
        region=REGIONS[1], service="elbv2", status=500, code="InternalServerError", mutating_only=True
    )
    try:
        stopped = run_playbook(
            url,
            "canary.yml",
            "-e",
            "weight=50",
            *NO_BAKE,
            extra_env={"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "2"},
        )
    finally:
        stack_emulator.clear_faults()
    assert stopped.returncode != 0
    summary = stopped.output.split("PLAY RECAP", 1)[-1]
    assert "failed: eu (task " in summary and "InternalServerError" in summary, summary[-3000:]
    assert weights(stack_emulator, REGIONS[0]) == {"blue": 50, "green": 50}
    assert weights(stack_emulator, REGIONS[1]) == {"blue": 90, "green": 10}
    ok(run_playbook(url, "canary.yml", "-e", "weight=50", *NO_BAKE))
    assert all(weights(stack_emulator, r) == {"blue": 50, "green": 50} for r in REGIONS)

    ok(run_playbook(url, "canary.yml", "-e", "weight=100", *NO_BAKE, "-e", "canary_rollback_window=0"))
    for region in REGIONS:
        assert weights(stack_emulator, region) == {"blue": 0, "green": 100}
        tags = alb_tags(stack_emulator, region)
        assert tags["LiveColour"] == "green"
        assert int(tags["RetireAfter"]) <= time.time() + 5
    promoted_again = run_playbook(url, "canary.yml", "-e", "weight=100", *NO_BAKE)
    ok(promoted_again)
    assert set(promoted_again.changed.values()) == {0}, promoted_again.changed

    # v3 goes to blue, now the idle colour (its rollback window is over, but a newer version keeps it up).
    ok(run_playbook(url, "site.yml", "-e", "app_version=3"))
    for region in REGIONS:
        assert colour_version(stack_emulator, region, "blue") == ("3", "3")
        assert weights(stack_emulator, region) == {"blue": 0, "green": 100}
        assert desired(stack_emulator, region, "blue") >= 3

    ok(run_playbook(url, "canary.yml", "-e", "weight=10", *NO_BAKE))
    assert all(weights(stack_emulator, r) == {"blue": 10, "green": 90} for r in REGIONS)

    # An alarm of the idle colour fires in the first wave's region while it bakes: every region goes back.
    ok(run_playbook(url, "canary.yml", "-e", "weight=0", *NO_BAKE))
    fired = threading.Event()

    def fire_when_the_first_wave_moved() -> None:
        deadline = time.time() + 300
        while time.time() < deadline and not fired.is_set():
            if weights(stack_emulator, REGIONS[0])["blue"] == 20:
                stack_emulator.client("cloudwatch", REGIONS[0]).set_alarm_state(
                    AlarmName=f"{PREFIX}-blue-target-5xx", StateValue="ALARM", StateReason="forced by the test"
                )
                fired.set()
                return
            time.sleep(0.5)

    watcher = threading.Thread(target=fire_when_the_first_wave_moved, daemon=True)
    watcher.start()
    run = run_playbook(
        url, "canary.yml", "-e", "weight=20", "-e", "canary_bake_seconds=120", "-e", "canary_poll_seconds=2"
    )
    watcher.join(timeout=5)
    assert fired.is_set(), "the first wave never moved"
    assert run.returncode != 0
    assert f"{PREFIX}-blue-target-5xx is in ALARM in us (us-west-2)" in " ".join(run.output.split())
    for region in REGIONS:
        assert weights(stack_emulator, region) == {"blue": 0, "green": 100}
        assert alb_tags(stack_emulator, region)["LiveColour"] == "green"
