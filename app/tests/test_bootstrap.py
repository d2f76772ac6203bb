"""bootstrap: unit tests with a fake IMDSv2, and end to end against the project's emulator (moto with
lifecycle holds), where a real gunicorn serves the app and the launching/terminating hooks are completed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import create_table
from fakes import APP_SRC, FakeImds, credentials, free_port, load_emulator_harness
from monolith import bootstrap
from monolith.bootstrap import Settings, SettingsError, env_file_text, gunicorn_command
from monolith.imds import Imds, ImdsError

REPO = Path(__file__).resolve().parents[2]

REGION = "us-west-2"
IDENTITY = {
    "instance-id": "i-0fake",
    "placement/availability-zone": "us-west-2b",
    "placement/region": REGION,
}


@pytest.fixture
def imds() -> Iterator[FakeImds]:
    fake = FakeImds(IDENTITY)
    yield fake
    fake.close()


# -- IMDSv2 client ---------------------------------------------------------------------------------


def test_fake_imds_refuses_reads_without_a_token(imds: FakeImds) -> None:
    # The stand-in must enforce IMDSv2, or the client tests below would prove nothing.
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{imds.url}/latest/meta-data/instance-id", timeout=2)
    assert err.value.code == 401


def test_imds_reads_identity_with_a_token(imds: FakeImds) -> None:
    identity = Imds(imds.url).identity()
    assert (identity.instance_id, identity.availability_zone, identity.region) == (
        "i-0fake",
        "us-west-2b",
        REGION,
    )
    assert imds.token_requests == 1  # one token serves every read


def test_imds_fetches_a_new_token_when_the_old_one_is_refused(imds: FakeImds) -> None:
    client = Imds(imds.url)
    assert client.required("instance-id") == "i-0fake"
    imds.revoke_tokens()
    assert client.required("instance-id") == "i-0fake"
    assert imds.token_requests == 2


def test_imds_missing_path_is_none_and_required_raises(imds: FakeImds) -> None:
    client = Imds(imds.url)
    assert client.target_lifecycle_state() is None
    imds.values["autoscaling/target-lifecycle-state"] = "InService"
    assert client.target_lifecycle_state() == "InService"
    with pytest.raises(ImdsError, match="no placement/nothing"):
        client.required("placement/nothing")


def test_imds_unreachable_raises_after_the_deadline() -> None:
    client = Imds(f"http://127.0.0.1:{free_port()}", timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(ImdsError, match="token request failed"):
        client.wait_identity(0.5, interval_s=0.1)
    assert time.monotonic() - started < 5


def test_imds_refuses_non_http_urls() -> None:
    with pytest.raises(ImdsError, match="http"):
        Imds("file:///etc/passwd")


# -- settings and the systemd unit ----------------------------------------------------------------


def test_settings_defaults_and_environment() -> None:
    assert Settings.from_env({}) == Settings()
    s = Settings.from_env(
        {
            "APP_PORT": "8081",
            "APP_BIND_HOST": "127.0.0.1",
            "APP_WORKERS": "3",
            "APP_READY_DEADLINE_SECONDS": "12.5",
            "APP_ASG_NAME": "asg",
            "APP_LAUNCH_HOOK_NAME": "launching",
            "APP_TERMINATE_HOOK_NAME": "terminating",
            "APP_IMDS_URL": "http://127.0.0.1:1338",
            "AWS_REGION": "eu-west-1",
        }
    )
    assert (s.port, s.bind_host, s.workers, s.ready_deadline_s) == (8081, "127.0.0.1", 3, 12.5)
    assert (s.asg_name, s.launch_hook, s.terminate_hook) == ("asg", "launching", "terminating")
    assert (s.imds_url, s.region, s.probe_host) == ("http://127.0.0.1:1338", "eu-west-1", "127.0.0.1")
    assert Settings().probe_host == "127.0.0.1"  # a wildcard bind is probed on loopback


def test_keep_alive_outlasts_the_load_balancers_idle_timeout() -> None:
    # The ALB must close idle connections first, or it reuses one the target just closed and answers 502.
    defaults = yaml.safe_load((REPO / "roles" / "loadbalancer" / "defaults" / "main.yml").read_text())
    idle_timeout = int(defaults["loadbalancer_idle_timeout"])
    command = gunicorn_command(Settings())
    assert int(command[command.index("--keep-alive") + 1]) > idle_timeout
    assert Settings.from_env({"APP_KEEPALIVE_SECONDS": "120"}).keepalive_s == 120


@pytest.mark.parametrize(
    "env",
    [
        {"APP_PORT": "http"},
        {"APP_PORT": "70000"},
        {"APP_WORKERS": "0"},
        {"APP_DRAIN_SECONDS": "-1"},
        {"APP_KEEPALIVE_SECONDS": "0"},
        {"APP_KEEPALIVE_SECONDS": "soon"},
    ],
)
def test_settings_errors(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


def test_bad_settings_exit_2_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert bootstrap.run({"APP_PORT": "nope"}) == 2
    assert "APP_PORT must be a number" in capsys.readouterr().out


def test_env_file_keeps_app_and_aws_settings_but_never_keys() -> None:
    text = env_file_text(
        {
            "APP_TABLE_NAME": "t",
            "AWS_REGION": "eu-west-1",
            # Made-up values: the test shows keys never reach the env file.
            "AWS_SECRET_ACCESS_KEY": "s3cr3t",  # pragma: allowlist secret
            "AWS_ACCESS_KEY_ID": "AKIA",
            "AWS_SESSION_TOKEN": "tok",
            "APP_DRAIN_FILE": "/tmp/x",
            "HOME": "/root",
            "APP_QUOTED": 'say "hi" \\o/',
        }
    )
    assert text.splitlines() == [
        'APP_QUOTED="say \\"hi\\" \\\\o/"',
        'APP_TABLE_NAME="t"',
        'AWS_REGION="eu-west-1"',
    ]


def test_install_unit_writes_unit_and_private_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_TABLE_NAME", "records")
    monkeypatch.setenv("APP_DRAIN_SECONDS", "10")
    monkeypatch.setenv("APP_GRACEFUL_TIMEOUT_SECONDS", "20")
    env_file = tmp_path / "etc" / "monolith.env"
    code = bootstrap.main(
        ["install-unit", "--unit-dir", str(tmp_path), "--env-file", str(env_file), "--no-start"]
    )
    assert code == 0
    unit = (tmp_path / "monolith.service").read_text()
    assert f"EnvironmentFile={env_file}" in unit
    assert f"ExecStart={Path(sys.executable).parent / 'monolith-bootstrap'} run" in unit
    assert "KillMode=mixed" in unit
    assert "TimeoutStopSec=60" in unit  # drain + graceful + 30
    assert 'APP_TABLE_NAME="records"' in env_file.read_text()
    assert env_file.stat().st_mode & 0o777 == 0o600


# -- end to end: gunicorn + emulator + fake IMDS ----------------------------------------------------

harness = load_emulator_harness()
needs_emulator = pytest.mark.skipif(harness is None, reason="the project's emulator (local/) is not here")
Emulator = Any
TABLE = "bootstrap-records"
LAUNCH = "autoscaling:EC2_INSTANCE_LAUNCHING"
TERMINATE = "autoscaling:EC2_INSTANCE_TERMINATING"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = harness.Emulator({"EMULATOR_LIFECYCLE_HOLD": "1"})
    create_table(emu.client("dynamodb", REGION), TABLE)
    yield emu
    emu.stop()


def make_group(emu: Emulator, name: str) -> str:
    """An ASG of one instance, held in Pending:Wait by its launching hook; returns the instance id."""
    ec2 = emu.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.1.0/24")["Subnet"]["SubnetId"]
    template = ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    asg = emu.client("autoscaling", REGION)
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        MinSize=0,
        MaxSize=2,
        DesiredCapacity=0,
        VPCZoneIdentifier=subnet,
    )
    for hook, transition in (("launching", LAUNCH), ("terminating", TERMINATE)):
        asg.put_lifecycle_hook(
            AutoScalingGroupName=name,
            LifecycleHookName=hook,
            LifecycleTransition=transition,
            HeartbeatTimeout=300,
            DefaultResult="ABANDON",
        )
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=1)
    states = group_states(emu, name)
    assert list(states.values()) == ["Pending:Wait"]
    return next(iter(states))


def group_states(emu: Emulator, name: str) -> dict[str, str]:
    groups = emu.client("autoscaling", REGION).describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return {i["InstanceId"]: i["LifecycleState"] for i in groups["AutoScalingGroups"][0]["Instances"]}


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class Bootstrap:
    """monolith-bootstrap as EC2 user data runs it: a process configured only by its environment."""

    def __init__(self, emu: Emulator, imds: FakeImds, group: str, **overrides: str) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="bootstrap-", suffix=".log")  # noqa: SIM115
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(APP_SRC),
            **credentials(),
            "AWS_ENDPOINT_URL": emu.url,
            "AWS_REGION": REGION,
            "APP_TABLE_NAME": TABLE,
            "APP_PEER_REGIONS": "eu-west-1,ap-southeast-2",
            "APP_COLOUR": "green",
            "APP_VERSION": "7.1.0",
            "APP_PORT": str(self.port),
            "APP_BIND_HOST": "127.0.0.1",
            "APP_VENV": str(Path(sys.executable).parent.parent),
            "APP_ASG_NAME": group,
            "APP_LAUNCH_HOOK_NAME": "launching",
            "APP_TERMINATE_HOOK_NAME": "terminating",
            "APP_IMDS_URL": imds.url,
            "APP_WORKERS": "1",
            "APP_THREADS": "4",
            "APP_DRAIN_SECONDS": "3",
            "APP_GRACEFUL_TIMEOUT_SECONDS": "5",
            "APP_LIFECYCLE_POLL_SECONDS": "0.2",
            "APP_HEARTBEAT_INTERVAL_SECONDS": "1",
            "APP_READY_DEADLINE_SECONDS": "60",
            **overrides,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monolith.bootstrap"], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as resp:
                return resp.status, json.load(resp)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("bootstrap did not exit:\n" + self.output()) from None

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def launch(
    emulator: Emulator, imds: FakeImds, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    started: list[Bootstrap] = []

    def start(**overrides: str) -> tuple[Bootstrap, str, str]:
        group = f"bootstrap-{request.node.name[:40]}-{len(started)}".replace("_", "-")
        instance = make_group(emulator, group)
        imds.values["instance-id"] = instance
        boot = Bootstrap(emulator, imds, group, **overrides)
        started.append(boot)
        return boot, group, instance

    yield start
    for boot in started:
        boot.close()


def completed(boot: Bootstrap, hook: str, result: str) -> bool:
    return any(
        e.get("message") == "lifecycle action completed"
        and e.get("hook") == hook
        and e.get("result") == result
        for e in boot.events()
    )


@needs_emulator
def test_ready_instance_continues_then_drains_when_asg_terminates_it(
    launch: Callable[..., Any], emulator: Emulator, imds: FakeImds
) -> None:
    boot, group, instance = launch()
    wait_for("InService", lambda: group_states(emulator, group).get(instance) == "InService")
    assert completed(boot, "launching", "CONTINUE")
    status, info = boot.get("/api/info")
    assert status == 200
    assert info == {
        "region": REGION,
        "availability_zone": "us-west-2b",
        "instance_id": instance,
        "colour": "green",
        "version": "7.1.0",
        "peer_regions": ["eu-west-1", "ap-southeast-2"],
    }
    assert boot.get("/api/records/does-not-exist")[0] == 404  # the app reaches its table through the emulator

    # Auto Scaling scales in: the instance waits in Terminating:Wait, and IMDS shows the target state.
    emulator.client("autoscaling", REGION).set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=0)
    assert group_states(emulator, group) == {instance: "Terminating:Wait"}
    imds.values["autoscaling/target-lifecycle-state"] = "Terminated"
    # Draining: not ready (the target group stops routing here) but alive and still serving.
    wait_for(
        "draining", lambda: boot.get("/readyz") == (503, {"status": "draining", "code": 503}), timeout=10
    )
    assert boot.get("/healthz")[0] == 200
    assert boot.wait() == 0
    assert completed(boot, "terminating", "CONTINUE")
    assert group_states(emulator, group) == {}
    # Every line on stdout, gunicorn's own included, is a JSON object.
    lines = boot.output().splitlines()
    assert any(json.loads(line)["logger"] == "gunicorn.error" for line in lines)
    assert all(isinstance(json.loads(line), dict) for line in lines)


@needs_emulator
def test_sigterm_drains_and_completes_the_terminating_hook(
    launch: Callable[..., Any], emulator: Emulator
) -> None:
    # No IMDS watcher: the signal alone must lead to the hook, by asking Auto Scaling for the state.
    boot, group, instance = launch(APP_LIFECYCLE_POLL_SECONDS="0", APP_DRAIN_SECONDS="1")
    wait_for("InService", lambda: group_states(emulator, group).get(instance) == "InService")
    emulator.client("autoscaling", REGION).set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=0)
    boot.proc.send_signal(signal.SIGTERM)
    assert boot.wait() == 0
    assert completed(boot, "terminating", "CONTINUE")
    assert group_states(emulator, group) == {}
    stopping = [e for e in boot.events() if e.get("message") == "stopping"]
    assert stopping[0]["signal"] == "SIGTERM"


@needs_emulator
def test_sigterm_outside_termination_stops_without_completing_a_hook(
    launch: Callable[..., Any], emulator: Emulator
) -> None:
    boot, group, instance = launch(APP_LIFECYCLE_POLL_SECONDS="0", APP_DRAIN_SECONDS="0")
    wait_for("InService", lambda: group_states(emulator, group).get(instance) == "InService")
    boot.proc.send_signal(signal.SIGTERM)
    assert boot.wait() == 0
    assert not completed(boot, "terminating", "CONTINUE")
    assert group_states(emulator, group) == {instance: "InService"}
    with pytest.raises(urllib.error.URLError):
        boot.get("/healthz")  # gunicorn is gone with it


@needs_emulator
def test_never_ready_abandons_the_launch(launch: Callable[..., Any], emulator: Emulator) -> None:
    # The table does not exist, so /readyz keeps answering 503 until the deadline.
    boot, group, instance = launch(APP_TABLE_NAME="no-such-table", APP_READY_DEADLINE_SECONDS="4")
    assert boot.wait() == 1
    assert completed(boot, "launching", "ABANDON")
    assert not completed(boot, "launching", "CONTINUE")
    # ABANDON terminates the instance (Auto Scaling launches a replacement in its place).
    assert instance not in group_states(emulator, group)
    with pytest.raises(urllib.error.URLError):
        boot.get("/healthz")


def test_unreachable_imds_exits_1(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(APP_SRC),
        "APP_IMDS_URL": f"http://127.0.0.1:{free_port()}",
        "APP_IMDS_DEADLINE_SECONDS": "0.5",
        "APP_IMDS_TIMEOUT_SECONDS": "0.2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "monolith.bootstrap"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert "instance identity unavailable" in done.stdout
