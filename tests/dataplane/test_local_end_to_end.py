"""`make deploy` to `make destroy` on one machine: the app answers through the fronts and the global entry,
writes replicate across regions, the canary's weights move real requests, a region can die without the
service going down, and destroy leaves nothing running.

The user's own commands run here (make deploy / chaos / heal / destroy), on private ports: EMULATOR_PORT and
DATAPLANE_PORT pick them, and -e aws_endpoint_url points the playbooks at that emulator."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dataplane.instances import LOCAL_OVERRIDES
from emulator_harness import emulator_client, free_port
from playbook_runner import REPO, run_playbook

pytestmark = pytest.mark.e2e

HOME = "eu"  # the entry's home region here, so that killing eu is a real failover
AWS_REGIONS = {"us": "us-west-2", "eu": "eu-west-1", "au": "ap-southeast-2"}


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_block() -> int:
    """A base port whose entry, fronts and IMDS ports are free (instances check their own)."""
    for _ in range(200):
        base = random.randrange(20000, 32000, 100)  # below the ephemeral range other tests draw from
        if all(port_free(base + offset) for offset in (0, 1, 2, 3, 9)):
            return base
    raise RuntimeError("no free port block on 127.0.0.1")


def listening_ports() -> set[int]:
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def request(url: str, method: str = "GET", body: Any = None, timeout_s: float = 5.0) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return 0, None  # refused, reset, or a response cut short: a failed request all the same


@dataclass
class Local:
    emulator_port: int
    base: int
    env: dict[str, str]
    deploy_output: str = ""
    ports: set[int] = field(default_factory=set)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def entry(self) -> str:
        return f"http://127.0.0.1:{self.base}"

    def front(self, region: str) -> str:
        return f"http://127.0.0.1:{self.base + 1 + list(AWS_REGIONS).index(region)}"

    def make(self, *targets: str, extra: str = "") -> subprocess.CompletedProcess[str]:
        args = f"-e aws_endpoint_url={self.endpoint} {extra}".strip()
        return subprocess.run(
            ["make", *targets, f"ARGS={args}"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )

    def state(self) -> dict[str, Any]:
        return dict(json.loads((REPO / "build" / "dataplane" / str(self.base) / "state.json").read_text()))

    def haproxy_config(self) -> str:
        return (REPO / "build" / "dataplane" / str(self.base) / "haproxy.cfg").read_text()


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    return proc.stdout


@pytest.fixture(scope="module")
def local() -> Iterator[Local]:
    emulator_port, base = free_port(), free_block()
    env = {
        **os.environ,
        "EMULATOR_PORT": str(emulator_port),
        "DATAPLANE_PORT": str(base),
        "DATAPLANE_HOME": HOME,
    }
    env.pop("MAKEFLAGS", None)
    stack = Local(emulator_port, base, env)
    try:
        deploy = stack.make("deploy")
        stack.deploy_output = deploy.stdout + deploy.stderr
        yield stack
    finally:
        for tool in ("dataplane", "emulator"):
            subprocess.run([str(REPO / "local" / "bin" / tool), "stop"], env=env, capture_output=True, check=False)


def test_make_deploy_prints_the_urls_and_every_front_answers(local):
    assert "changed=" in local.deploy_output and "failed=0" in local.deploy_output, local.deploy_output[-6000:]
    assert f"global entry  {local.entry}" in local.deploy_output, local.deploy_output[-3000:]
    status, info = request(f"{local.entry}/api/info")
    assert status == 200 and info["region"] == AWS_REGIONS[HOME] and info["colour"] in ("blue", "green"), info
    for region, aws_region in AWS_REGIONS.items():
        assert f"{local.front(region)}  {aws_region} " in local.deploy_output
        status, info = request(f"{local.front(region)}/api/info")
        assert status == 200 and info["region"] == aws_region, (region, status, info)
        assert info["instance_id"].startswith("i-") and info["availability_zone"].startswith(aws_region)


def test_a_write_in_eu_is_read_in_us_and_au_within_3_seconds(local):
    status, created = request(f"{local.front('eu')}/api/records", "POST", {"note": "written in eu"})
    assert status == 201, created
    written = time.monotonic()
    lag = {}
    for region in ("us", "au"):
        while time.monotonic() - written < 10:
            status, record = request(f"{local.front(region)}/api/records/{created['id']}")
            if status == 200:
                lag[region] = time.monotonic() - written
                assert record["data"] == {"note": "written in eu"}, record
                break
            time.sleep(0.05)
    print(f"replication lag eu -> us {lag.get('us', -1):.3f} s, eu -> au {lag.get('au', -1):.3f} s")
    assert set(lag) == {"us", "au"} and max(lag.values()) <= 3.0, lag


def wait_for_config(local: Local, needle: str, present: bool = True) -> None:
    deadline = time.monotonic() + 30
    while (needle in local.haproxy_config()) != present:
        assert time.monotonic() < deadline, f"the data plane did not follow the emulator: {needle!r}"
        time.sleep(0.2)
    time.sleep(1.5)  # the reloaded workers and a first health check of any new instance


def canary(local: Local, *args: str) -> None:
    run = run_playbook(local.endpoint, "canary.yml", *args)
    assert run.returncode == 0, run.output[-6000:]


def versions_seen(url: str, n: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    for _ in range(n):
        status, info = request(url)
        seen[info["version"] if status == 200 else f"HTTP {status}"] += 1
    return seen


def test_canary_weights_move_real_requests(local):
    ok(local.make("deploy", extra="-e app_version=2"))
    # The idle colour now runs version 2 and takes no traffic yet.
    assert versions_seen(f"{local.front('us')}/api/info", 200) == Counter({"1": 200})
    canary(local, "-e", "weight=10", "-e", "canary_bake_seconds=0")
    wait_for_config(local, "-m int lt 900 }")
    seen = versions_seen(f"{local.front('us')}/api/info", 1000)
    print(f"weight=10: {seen}")
    assert set(seen) == {"1", "2"} and 70 <= seen["2"] <= 130, seen
    canary(local, "-e", "weight=0")
    wait_for_config(local, "-m int lt 900 }", present=False)
    seen = versions_seen(f"{local.front('us')}/api/info", 1000)
    print(f"weight=0: {seen}")
    assert seen == Counter({"1": 1000}), seen


class Loop(threading.Thread):
    """GET /api/info through the entry every 20 ms; records (time, status, region) of each request, and how
    long each took."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.results: list[tuple[float, int, str]] = []
        self.seconds: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            started = time.monotonic()
            status, info = request(self.url, timeout_s=5)
            self.seconds.append(time.monotonic() - started)
            self.results.append((started, status, info["region"] if status == 200 else ""))
            self.done.wait(0.02)

    def serving(self, region: str, since: float) -> int:
        return sum(1 for t, status, r in self.results if t >= since and status == 200 and r == region)


def test_losing_the_home_region_fails_over_and_heal_brings_it_back(local):
    loop = Loop(f"{local.entry}/api/info")
    loop.start()
    try:
        time.sleep(2)
        killed = time.monotonic()
        chaos = subprocess.run(
            ["make", "chaos", f"REGION={HOME}"], cwd=REPO, env=local.env, capture_output=True, text=True, check=False
        )
        assert chaos.returncode == 0, chaos.stdout + chaos.stderr
        assert not [i for i in local.state()["instances"].values() if i["region"] == HOME]
        deadline = time.monotonic() + 30
        while loop.serving(AWS_REGIONS["au"], killed) < 100:  # au follows eu in the inventory's order
            assert time.monotonic() < deadline, "the entry never failed over to au"
            time.sleep(0.2)
        healed = time.monotonic()
        heal = subprocess.run(
            ["make", "heal", f"REGION={HOME}"], cwd=REPO, env=local.env, capture_output=True, text=True, check=False
        )
        assert heal.returncode == 0, heal.stdout + heal.stderr
        deadline = time.monotonic() + 60
        while loop.serving(AWS_REGIONS["eu"], healed) < 50:
            assert time.monotonic() < deadline, "eu did not serve through the entry after heal"
            time.sleep(0.2)
    finally:
        loop.done.set()
        loop.join()
    failures = [(t - killed, status) for t, status, _ in loop.results if status != 200]
    times = [t for t, _, _ in loop.results]
    longest_gap = max(b - a for a, b in itertools.pairwise(times))
    # Detection: a front drops an instance after 2 failed 1-s checks, the entry drops a front after 2 more.
    window = 2 * 1 + 2 * 1 + 1.5
    print(f"region loss: {len(loop.results)} requests, {len(failures)} failed, longest gap {longest_gap:.2f} s")
    assert all(0 <= at <= window for at, _ in failures), failures
    assert sum(1 for _, status, _ in loop.results if status == 200) > 0


def test_scale_in_under_load_drains_without_failing_a_request(local):
    """Auto Scaling terminates a serving instance: the terminating hook holds it while its bootstrap
    drains (/readyz fails, the front stops routing, gunicorn finishes in-flight requests), then the
    bootstrap completes the hook. A steady loop through the region's front sees no failed request."""
    autoscaling = emulator_client(local.endpoint, "autoscaling", AWS_REGIONS["us"])
    groups = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    victim = next(i["InstanceId"] for g in groups for i in g["Instances"] if i["LifecycleState"] == "InService")
    loop = Loop(f"{local.front('us')}/api/info")
    loop.start()
    try:
        time.sleep(1)
        autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=victim, ShouldDecrementDesiredCapacity=False)
        deadline = time.monotonic() + 90
        while True:
            states = {
                i["InstanceId"]: i["LifecycleState"]
                for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
                for i in g["Instances"]
            }
            if victim not in states:
                break  # its bootstrap completed the terminating hook
            assert time.monotonic() < deadline, f"{victim} still {states[victim]}"
            time.sleep(0.5)
        time.sleep(2)
    finally:
        loop.done.set()
        loop.join()
    failed = [(status, region) for _, status, region in loop.results if status != 200]
    drain_s = float(LOCAL_OVERRIDES["APP_DRAIN_SECONDS"])
    slow = [round(d, 2) for d in loop.seconds if d > drain_s]
    print(
        f"scale-in: {len(loop.results)} requests, {len(failed)} failed, longest {max(loop.seconds):.2f} s, "
        f"{len(slow)} longer than the {drain_s:g} s drain window {slow}"
    )
    assert not failed, failed
    log = (REPO / "build" / "dataplane" / str(local.base) / "instances" / f"{victim}.log").read_text()
    completed = [line for line in log.splitlines() if "lifecycle action completed" in line]
    assert "draining" in log and any("terminat" in line.lower() for line in completed), log[-3000:]


def test_make_destroy_leaves_no_process_and_no_listening_port(local):
    pids = [i["pid"] for i in local.state()["instances"].values()] + [local.state()["haproxy_pid"]]
    ports = {local.emulator_port, local.base, local.base + 1, local.base + 2, local.base + 3, local.base + 9}
    ports |= {i["port"] for i in local.state()["instances"].values()}
    ok(local.make("destroy"))
    still = [pid for pid in pids if Path(f"/proc/{pid}").exists()]
    assert not still, f"processes left running: {still}"
    assert not ports & listening_ports(), sorted(ports & listening_ports())
