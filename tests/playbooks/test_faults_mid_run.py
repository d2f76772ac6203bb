"""Faults in the middle of site.yml and destroy.yml, on a private emulator with two regions (us, eu) and the
edge host, and what a plain re-run does afterwards. One chain of runs shares the emulator, each test
starting from the state the previous one left, so the file pays for one cold build:

1. the emulator SIGKILLed mid site.yml: the run fails naming the endpoint it lost; moto keeps its state in
   memory only, so the restarted emulator is an empty cloud (the rest of the chain builds on it);
2. eu's API answering errors (the emulator's fault switch) mid site.yml: eu fails and is named in the run's
   summary, us and the edge layer are built;
3. Ctrl-C (SIGINT to the process group, as a terminal sends it) in the re-run after the fault is cleared;
4. a plain re-run converges: everything built in both regions, us's resources the very same (nothing undone
   or made again, nothing duplicated by the interrupted calls); 5. the next run changes nothing;
6. destroy.yml interrupted midway by Ctrl-C, then a plain destroy.yml leaves nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from emulator_harness import Emulator
from playbook_runner import REPO, PlaybookRun, RunningPlaybook, run_playbook
from stack_scan import PREFIX, PROJECT, leftovers

pytestmark = pytest.mark.e2e

US, EU = "us-west-2", "eu-west-1"
# 500 InternalServerError (DynamoDB's name for a server fault) is an error a region outage produces that
# neither botocore's standard retries past AWS_MAX_ATTEMPTS nor the modules' AWSRetry retry, so eu's task
# fails within seconds. 503 ServiceUnavailable / 500 InternalError, what EC2 answers, go the same way only
# after AWSRetry's ten backoffs of up to 60 s each: minutes per task, for the same failure path.
FAULT = {"status": 500, "code": "InternalServerError"}
# Two attempts per call (one quick retry) for every module of the faulted run, so each faulted call costs
# about a second; nothing else in the run retries against the emulator.
FAST_FAILURE = {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "2"}
DESTROY = ("-e", "confirm=yes", "-e", "final_backup=false")


@dataclass
class Cloud:
    emulator: Emulator
    inventory: Path
    done: set[str] = field(default_factory=set)
    us_stack: list[str] = field(default_factory=list)

    def start(self, playbook: str, *args: str, **kwargs: dict[str, str]) -> RunningPlaybook:
        return RunningPlaybook(self.emulator.url, playbook, *args, inventory=self.inventory, **kwargs)

    def run(self, playbook: str, *args: str) -> PlaybookRun:
        return run_playbook(self.emulator.url, playbook, *args, inventory=self.inventory)

    def needs(self, step: str) -> None:
        if step not in self.done:
            pytest.skip(f"needs the state the step {step!r} leaves, and that step failed")


@pytest.fixture(scope="module")
def cloud(stack_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Cloud:
    """The local inventory without au: two regions and the edge host, and the local group_vars."""
    folder = tmp_path_factory.mktemp("two-regions")
    hosts = yaml.safe_load((REPO / "inventories/local/hosts.yml").read_text())
    del hosts["all"]["children"]["regions"]["hosts"]["au"]
    (folder / "hosts.yml").write_text(yaml.safe_dump(hosts))
    (folder / "group_vars").symlink_to(REPO / "inventories/local/group_vars")
    return Cloud(stack_emulator, folder / "hosts.yml")


def wait_for(run: RunningPlaybook, condition: Callable[[], object], what: str, timeout: float = 600) -> None:
    """Poll the emulator until `condition` holds while the run goes on."""
    deadline = time.monotonic() + timeout
    while not condition():
        if not run.running():
            pytest.fail(f"the run ended before {what}:\n{run.wait().output[-4000:]}")
        if time.monotonic() > deadline:
            run.interrupt()
            pytest.fail(f"no {what} within {timeout} s:\n{run.wait().output[-4000:]}")
        time.sleep(0.5)


def has_vpc(emulator: Emulator, region: str) -> bool:
    vpcs = emulator.client("ec2", region).describe_vpcs(Filters=[{"Name": "tag:Project", "Values": [PROJECT]}])
    return bool(vpcs["Vpcs"])


def has_subnets(emulator: Emulator, region: str) -> bool:
    subnets = emulator.client("ec2", region).describe_subnets(Filters=[{"Name": "tag:Project", "Values": [PROJECT]}])
    return bool(subnets["Subnets"])


def asgs(emulator: Emulator, region: str) -> list[str]:
    groups = emulator.client("autoscaling", region).describe_auto_scaling_groups()["AutoScalingGroups"]
    return sorted(g["AutoScalingGroupName"] for g in groups if g["AutoScalingGroupName"].startswith(PREFIX))


def region_stack(emulator: Emulator, region: str) -> list[str]:
    """Every resource of the project in `region`, by kind and id (ids are new if anything was made again)."""
    return sorted(item for item in leftovers(emulator) if f" {region} " in item)


def failure_lines(output: str) -> list[str]:
    """The failure summary's lines (after the PLAY RECAP, where ansible's own "failed: [host]" lines are not)."""
    _, _, after_recap = output.partition("PLAY RECAP")
    return [line for line in after_recap.splitlines() if line.startswith("failed: ")]


def test_emulator_killed_mid_run_fails_naming_the_endpoint_and_restarts_empty(cloud):
    emulator = cloud.emulator
    run = cloud.start("site.yml")
    wait_for(run, lambda: has_vpc(emulator, US), "a VPC in us-west-2")
    emulator.kill()
    result = run.wait(timeout=900)
    emulator.start()

    assert result.returncode != 0
    assert f'Could not connect to the endpoint URL: "{emulator.url}/' in result.output, result.output[-4000:]
    assert "Traceback" not in result.output
    failed = failure_lines(result.output)
    assert any(line.startswith("failed: us (task ") for line in failed), failed
    # botocore's connection errors name the endpoint ("Could not connect to the endpoint URL: ...").
    assert all(emulator.url in line for line in failed), failed
    # moto has no persistence: the restart is an empty cloud, which the following steps build from.
    assert leftovers(emulator) == []
    cloud.done.add("killed")


def test_one_region_erroring_fails_only_that_region_and_the_summary_names_it(cloud):
    cloud.needs("killed")
    emulator = cloud.emulator
    run = cloud.start("site.yml", extra_env=FAST_FAILURE)
    wait_for(run, lambda: has_vpc(emulator, US) and has_vpc(emulator, EU), "a VPC in both regions")
    emulator.set_fault(region=EU, **FAULT)
    result = run.wait(timeout=1200)
    [fault] = emulator.faults()
    emulator.clear_faults()

    assert fault["hits"] > 0
    assert result.returncode != 0
    assert result.recap["eu"]["failed"] == 1, result.recap
    assert result.recap["us"]["failed"] == 0 and result.recap["global"]["failed"] == 0, result.recap
    # The summary: each failed host with its task and the AWS error, after the PLAY RECAP, and the report.
    failed = failure_lines(result.output)
    assert len(failed) == 1 and failed[0].startswith("failed: eu (task network : "), failed
    assert "InternalServerError" in failed[0] and EU in failed[0]
    assert "failed earlier in this run (rows not read): eu;" in result.output
    # us's regional work is done, and the edge layer in front of it.
    assert asgs(emulator, US) == [f"{PREFIX}-blue", f"{PREFIX}-green"]
    assert any(item.startswith("load balancer ") for item in region_stack(emulator, US))
    assert any(item.startswith("distribution ") for item in leftovers(emulator))
    assert not asgs(emulator, EU)
    cloud.us_stack = region_stack(emulator, US)
    cloud.done.add("faulted")


def test_ctrl_c_in_the_rerun_stops_it(cloud):
    cloud.needs("faulted")
    emulator = cloud.emulator
    run = cloud.start("site.yml")
    wait_for(run, lambda: has_subnets(emulator, EU), "subnets in eu-west-1")
    run.interrupt()
    result = run.wait(timeout=300)

    assert result.returncode == 99, result.output[-4000:]
    assert "User interrupted execution" in result.output
    cloud.done.add("interrupted")


def test_a_plain_rerun_converges_and_leaves_us_as_it_was(cloud):
    cloud.needs("interrupted")
    emulator = cloud.emulator
    result = cloud.run("site.yml")

    assert result.returncode == 0, result.output[-5000:]
    assert failure_lines(result.output) == []
    assert result.changed["us"] == 0, "the re-run changed us, which the faults never reached"
    assert region_stack(emulator, US) == cloud.us_stack, "us's resources were changed or made again"
    # eu is whole, with one of each thing, though a fault and a Ctrl-C each cut a call short there.
    kinds = sorted(item.split(f" {EU} ")[0] for item in region_stack(emulator, EU))
    assert kinds == sorted(item.split(f" {US} ")[0] for item in cloud.us_stack)
    assert asgs(emulator, EU) == [f"{PREFIX}-blue", f"{PREFIX}-green"]
    cloud.done.add("converged")


def test_the_next_run_changes_nothing(cloud):
    cloud.needs("converged")
    result = cloud.run("site.yml")

    assert result.returncode == 0, result.output[-5000:]
    assert result.changed and set(result.changed.values()) == {0}, result.changed


def test_destroy_interrupted_midway_then_rerun_leaves_nothing(cloud):
    cloud.needs("converged")
    emulator = cloud.emulator
    run = cloud.start("destroy.yml", *DESTROY)
    # Midway: the global layer gone and the regions' instances too, their networks still there.
    wait_for(run, lambda: not asgs(emulator, US) and not asgs(emulator, EU), "both regions' groups removed")
    run.interrupt()
    interrupted = run.wait(timeout=300)
    assert interrupted.returncode == 99, interrupted.output[-4000:]
    assert leftovers(emulator), "the interrupt came too late to leave anything half-destroyed"

    result = cloud.run("destroy.yml", *DESTROY)
    assert result.returncode == 0, result.output[-5000:]
    assert leftovers(emulator) == []
