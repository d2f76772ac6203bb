"""Instances as processes: each runs the app's ``monolith-bootstrap run`` from the deployed wheelhouse.

On EC2 the user data installs the wheelhouse named by APP_ARTIFACT_URI into a venv and hands over to
monolith-bootstrap, which reads IMDS, starts gunicorn, waits for /readyz and completes the launching hook.
Here the same happens, minus the operating system: the wheelhouse is fetched from the emulator's S3 and
installed once per artifact into build/dataplane/<port>/venvs/<etag>, and each instance's process gets the
environment its launch template's user data exports, plus what only local mode needs (its loopback port,
its IMDS stand-in, the emulator endpoint). If the install fails, the launch is abandoned, as the user data's
ERR trap does.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .cloud import RUNNING_STATES, Cloud, Instance
from .topology import LOOPBACK, Topology

log = logging.getLogger("dataplane.instances")

# Local sizing and timing (documented in local/README.md): 18 instances share 2 cores, so one gunicorn
# worker each; the fronts stop routing to a draining instance after 2 failed 1-second checks, so 4 s of drain
# is enough before gunicorn stops.
LOCAL_OVERRIDES = {
    "APP_WORKERS": "1",
    "APP_DRAIN_SECONDS": "4",
    "APP_LIFECYCLE_POLL_SECONDS": "1",
    "APP_READY_DEADLINE_SECONDS": "120",
}
STOP_GRACE_S = 30.0
RESTART_BACKOFF_S = 2.0


@dataclass
class Process:
    instance: Instance
    port: int
    popen: subprocess.Popen[bytes]
    log_path: Path
    stopping_since: float | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None


class InstanceRunner:
    def __init__(self, topology: Topology, cloud: Cloud) -> None:
        self.topology = topology
        self.cloud = cloud
        self.processes: dict[str, Process] = {}
        self.failed: set[str] = set()  # abandoned: never started again
        self.exited_at: dict[str, float] = {}
        self.venvs = topology.state_dir / "venvs"
        self.logs = topology.state_dir / "instances"

    # -- reconcile ---------------------------------------------------------------------------------

    def reconcile(self, aws_region: str, instances: list[Instance], *, down: bool) -> None:
        """Make the region's processes match its instances; a region that is down runs nothing."""
        wanted = {} if down else {i.instance_id: i for i in instances if i.lifecycle_state in RUNNING_STATES}
        for instance_id, proc in list(self.processes.items()):
            if proc.instance.aws_region != aws_region:
                continue
            if down:
                self.kill(instance_id)
            elif not proc.alive:
                self._reap(instance_id, proc)
            elif instance_id not in wanted:
                self._stop_gracefully(proc)
            else:
                proc.instance = wanted[instance_id]
        for instance_id, instance in wanted.items():
            if instance_id in self.processes or instance_id in self.failed:
                continue
            if time.monotonic() - self.exited_at.get(instance_id, 0.0) < RESTART_BACKOFF_S:
                continue
            if instance.lifecycle_state.startswith("Terminat"):
                continue  # never boot an instance Auto Scaling is already taking away
            self._start(instance)

    def _reap(self, instance_id: str, proc: Process) -> None:
        log.info("instance process exited", extra={"instance": instance_id, "rc": proc.popen.returncode})
        self._kill_group(proc)  # gunicorn must not outlive its bootstrap
        del self.processes[instance_id]
        self.exited_at[instance_id] = time.monotonic()

    def _stop_gracefully(self, proc: Process) -> None:
        now = time.monotonic()
        if proc.stopping_since is None:
            # SIGTERM to bootstrap alone: it drains and stops gunicorn, as systemd does on EC2.
            proc.stopping_since = now
            with contextlib.suppress(ProcessLookupError):
                proc.popen.send_signal(signal.SIGTERM)
        elif now - proc.stopping_since > STOP_GRACE_S:
            self._kill_group(proc)

    def kill(self, instance_id: str) -> None:
        """Abrupt loss (a region outage): every process of the instance dies at once."""
        proc = self.processes.pop(instance_id)
        self._kill_group(proc)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=5)

    @staticmethod
    def _kill_group(proc: Process) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.popen.pid, signal.SIGKILL)

    def stop_all(self, timeout_s: float = STOP_GRACE_S) -> None:
        for proc in self.processes.values():
            self._stop_gracefully(proc)
        deadline = time.monotonic() + timeout_s
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            self._kill_group(proc)
        self.processes.clear()

    # -- start -------------------------------------------------------------------------------------

    def _start(self, instance: Instance) -> None:
        user_env: dict[str, str] = {}
        try:
            user_env = self.cloud.user_data_environment(instance)
            venv = self._venv(user_env, instance.aws_region)
        except Exception as exc:  # the user data's ERR trap: abandon the launch at once
            log.error("instance bootstrap failed", extra={"instance": instance.instance_id, "error": repr(exc)})
            self.failed.add(instance.instance_id)
            self._abandon(instance, user_env)
            return
        port = self._free_port()
        env = {
            **{k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TZ") if k in os.environ},
            **user_env,
            **LOCAL_OVERRIDES,
            "APP_PORT": str(port),
            "APP_BIND_HOST": LOOPBACK,
            "APP_IMDS_URL": f"http://{LOOPBACK}:{self.topology.imds_port}/{instance.instance_id}",
            "APP_DRAIN_FILE": str(self.logs / f"{instance.instance_id}.draining"),
            "AWS_ENDPOINT_URL": self.topology.emulator_url,
            # The instance profile's role, locally: the emulator's throw-away credentials.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"{instance.instance_id}.log"
        with log_path.open("ab") as out:
            popen = subprocess.Popen(
                [str(venv / "bin" / "monolith-bootstrap"), "run"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a region outage kills gunicorn too
            )
        self.processes[instance.instance_id] = Process(instance, port, popen, log_path, env=env)
        log.info(
            "instance process started",
            extra={"instance": instance.instance_id, "region": instance.aws_region, "port": port},
        )

    def _abandon(self, instance: Instance, user_env: dict[str, str]) -> None:
        group, hook = user_env.get("APP_ASG_NAME", instance.group), user_env.get("APP_LAUNCH_HOOK_NAME")
        if not hook:
            return
        with contextlib.suppress(Exception):
            self.cloud.client("autoscaling", instance.aws_region).complete_lifecycle_action(
                AutoScalingGroupName=group,
                LifecycleHookName=hook,
                InstanceId=instance.instance_id,
                LifecycleActionResult="ABANDON",
            )

    def _free_port(self) -> int:
        used = {p.port for p in self.processes.values()}
        for port in self.topology.instance_ports:
            if port in used:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind((LOOPBACK, port))
                except OSError:
                    continue
            return port
        raise RuntimeError(f"no free instance port in {self.topology.instance_ports}")

    def _venv(self, user_env: dict[str, str], region: str) -> Path:
        """The venv holding the artifact's wheelhouse, installed once per artifact (keyed by its ETag)."""
        uri = user_env.get("APP_ARTIFACT_URI", "")
        etag, body = self.cloud.artifact(uri, region)
        # Built where it will live: a venv's scripts name their interpreter by absolute path.
        target = self.venvs / etag
        done = target / ".installed"
        if done.exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        wheelhouse = target / "wheelhouse"
        wheelhouse.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
            archive.extractall(wheelhouse, filter="data")
        log.info("installing the wheelhouse", extra={"artifact": uri, "etag": etag})
        try:
            subprocess.run([sys.executable, "-m", "venv", str(target)], check=True, capture_output=True)
            pip = [str(target / "bin" / "pip"), "install", "--quiet", "--no-index", "--find-links", str(wheelhouse)]
            subprocess.run([*pip, "monolith"], check=True, capture_output=True)
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise RuntimeError(f"installing {uri} failed: {exc.stderr.decode(errors='replace')[-500:]}") from exc
        done.touch()
        return target

    def addresses(self) -> dict[str, int]:
        """instance id -> port, for processes up and not being stopped."""
        return {i: p.port for i, p in self.processes.items() if p.alive and p.stopping_since is None}
