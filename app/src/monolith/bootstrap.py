"""``monolith-bootstrap``: bring one instance of the app into (and out of) service.

``monolith-bootstrap run`` (the default) is the long-running supervisor:

1. read the instance identity from IMDSv2 (instance id, AZ, region);
2. start gunicorn serving ``monolith.wsgi:app`` on APP_PORT;
3. wait for its own ``/readyz`` to answer 200, up to APP_READY_DEADLINE_SECONDS;
4. complete the launching lifecycle hook: CONTINUE when ready, ABANDON when not (then exit 1);
5. serve until SIGTERM/SIGINT, or until IMDS says Auto Scaling is terminating the instance;
6. drain: fail /readyz (drain file), give the load balancer APP_DRAIN_SECONDS to stop sending, then stop
   gunicorn gracefully (it stops accepting and finishes in-flight requests);
7. complete the terminating lifecycle hook with CONTINUE if the instance is terminating.

``monolith-bootstrap install-unit`` writes a systemd unit that runs ``run`` and starts it, so that EC2 user
data can return (cloud-init finishes) while systemd supervises the app and restarts it on failure.

Configured only by environment variables; see README.md, "Bootstrap".
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from . import logs
from .imds import DEFAULT_URL, Identity, Imds, ImdsError

log = logging.getLogger("monolith.bootstrap")

CONTINUE = "CONTINUE"
ABANDON = "ABANDON"
# Never persisted to the unit's environment file: on EC2 credentials come from the instance profile.
_SECRET_ENV = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    port: int = 8000
    bind_host: str = "0.0.0.0"  # noqa: S104 -- on EC2 the ALB reaches the instance's private address
    workers: int = 2
    threads: int = 8
    graceful_timeout_s: float = 30.0
    # Longer than the load balancer's idle timeout (ALB default 60 s), so the ALB always closes an idle
    # connection first: a target closing it first races the ALB reusing it, and the client gets a 502.
    keepalive_s: int = 75
    imds_url: str = DEFAULT_URL
    imds_timeout_s: float = 2.0
    imds_deadline_s: float = 60.0
    ready_deadline_s: float = 300.0
    drain_s: float = 20.0
    lifecycle_poll_s: float = 5.0
    region: str | None = None
    asg_name: str | None = None
    launch_hook: str | None = None
    terminate_hook: str | None = None
    drain_file: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        s = cls(
            port=_number(env, "APP_PORT", 8000, int),
            bind_host=env.get("APP_BIND_HOST") or cls.bind_host,
            workers=_number(env, "APP_WORKERS", 2, int),
            threads=_number(env, "APP_THREADS", 8, int),
            graceful_timeout_s=_number(env, "APP_GRACEFUL_TIMEOUT_SECONDS", 30.0, float),
            keepalive_s=_number(env, "APP_KEEPALIVE_SECONDS", 75, int),
            imds_url=env.get("APP_IMDS_URL") or DEFAULT_URL,
            imds_timeout_s=_number(env, "APP_IMDS_TIMEOUT_SECONDS", 2.0, float),
            imds_deadline_s=_number(env, "APP_IMDS_DEADLINE_SECONDS", 60.0, float),
            ready_deadline_s=_number(env, "APP_READY_DEADLINE_SECONDS", 300.0, float),
            drain_s=_number(env, "APP_DRAIN_SECONDS", 20.0, float),
            lifecycle_poll_s=_number(env, "APP_LIFECYCLE_POLL_SECONDS", 5.0, float),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            asg_name=env.get("APP_ASG_NAME") or None,
            launch_hook=env.get("APP_LAUNCH_HOOK_NAME") or None,
            terminate_hook=env.get("APP_TERMINATE_HOOK_NAME") or None,
            drain_file=env.get("APP_DRAIN_FILE") or None,
        )
        if not 1 <= s.port <= 65535:
            raise SettingsError(f"APP_PORT must be 1..65535, got {s.port}")
        if s.workers < 1 or s.threads < 1:
            raise SettingsError("APP_WORKERS and APP_THREADS must be at least 1")
        if not 1 <= s.keepalive_s <= 4100:
            raise SettingsError(f"APP_KEEPALIVE_SECONDS must be 1..4100, got {s.keepalive_s}")
        return s

    @property
    def probe_host(self) -> str:
        # A wildcard bind is reachable on loopback; a specific address only on itself.
        return "127.0.0.1" if self.bind_host in ("0.0.0.0", "") else self.bind_host  # noqa: S104


def _number[T: (int, float)](env: Mapping[str, str], name: str, default: T, kind: type[T]) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {raw!r}")
    return value


class Lifecycle:
    """The instance's side of the Auto Scaling lifecycle hooks."""

    def __init__(self, client: Any, settings: Settings, instance_id: str) -> None:
        self.client = client
        self.asg_name = settings.asg_name
        self.launch_hook = settings.launch_hook
        self.terminate_hook = settings.terminate_hook
        self.instance_id = instance_id

    def complete(self, hook: str | None, result: str) -> bool:
        if not self.asg_name or not hook:
            log.info("no lifecycle hook configured; nothing to complete", extra={"result": result})
            return False
        try:
            self.client.complete_lifecycle_action(
                AutoScalingGroupName=self.asg_name,
                LifecycleHookName=hook,
                InstanceId=self.instance_id,
                LifecycleActionResult=result,
            )
        except Exception as exc:
            # E.g. no active action (the hook timed out, or systemd restarted us after launch): the
            # instance keeps serving; Auto Scaling's own state is what it is.
            log.warning(
                "lifecycle action not completed",
                extra={"hook": hook, "result": result, "instance_id": self.instance_id, "error": repr(exc)},
            )
            return False
        log.info("lifecycle action completed", extra={"hook": hook, "result": result})
        return True

    def is_terminating(self) -> bool:
        if not self.asg_name:
            return False
        try:
            resp = self.client.describe_auto_scaling_instances(InstanceIds=[self.instance_id])
        except Exception as exc:
            log.warning("could not read the lifecycle state", extra={"error": repr(exc)})
            return False
        states = [i.get("LifecycleState", "") for i in resp.get("AutoScalingInstances", [])]
        return any(state.startswith("Terminating") for state in states)


def autoscaling_client(region: str) -> Any:
    import boto3  # noqa: PLC0415 -- only the run path needs it

    # No endpoint_url: boto3 honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_AUTO_SCALING itself.
    return boto3.client("autoscaling", region_name=region)


class Stop:
    """Set by SIGTERM/SIGINT; the main loop polls it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: str | None = None

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signal = signal.Signals(signum).name
        self.event.set()


def gunicorn_command(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:monolith.gunicorn_conf",
        "--bind",
        f"{settings.bind_host}:{settings.port}",
        "--workers",
        str(settings.workers),
        "--threads",
        str(settings.threads),
        "--graceful-timeout",
        str(int(settings.graceful_timeout_s)),
        # Keep-alive applies to the threaded worker gunicorn picks when --threads > 1.
        "--keep-alive",
        str(settings.keepalive_s),
        "monolith.wsgi:app",
    ]


def child_environment(
    env: Mapping[str, str], identity: Identity, region: str, drain_file: str
) -> dict[str, str]:
    return {
        **env,
        "AWS_REGION": region,
        "APP_INSTANCE_ID": identity.instance_id,
        "APP_AZ": identity.availability_zone,
        "APP_DRAIN_FILE": drain_file,
    }


def probe_ready(url: str, timeout_s: float) -> bool:
    try:
        # Our own loopback port, built from configuration.
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(proc: subprocess.Popen[bytes], settings: Settings, stop: Stop) -> bool:
    url = f"http://{settings.probe_host}:{settings.port}/readyz"
    give_up = time.monotonic() + settings.ready_deadline_s
    while time.monotonic() < give_up:
        if proc.poll() is not None:
            log.error("gunicorn exited before becoming ready", extra={"returncode": proc.returncode})
            return False
        if stop.event.is_set():
            log.warning("stopped before becoming ready", extra={"signal": stop.signal})
            return False
        if probe_ready(url, timeout_s=2.0):
            return True
        stop.event.wait(0.5)
    log.error("not ready before the deadline", extra={"deadline_s": settings.ready_deadline_s})
    return False


def serve_until_stopped(proc: subprocess.Popen[bytes], settings: Settings, imds: Imds, stop: Stop) -> str:
    """Block until the app must stop; returns why: 'exited', 'signal' or 'terminating'."""
    next_poll = time.monotonic()
    warned = False
    while True:
        if proc.poll() is not None:
            return "exited"
        if stop.event.is_set():
            return "signal"
        # On EC2 nothing signals us when Auto Scaling starts terminating: IMDS is where it shows.
        if settings.lifecycle_poll_s > 0 and time.monotonic() >= next_poll:
            next_poll = time.monotonic() + settings.lifecycle_poll_s
            try:
                if imds.target_lifecycle_state() == "Terminated":
                    return "terminating"
            except ImdsError as exc:
                if not warned:
                    log.warning("cannot read the target lifecycle state", extra={"error": str(exc)})
                    warned = True
        stop.event.wait(0.2)


def stop_gunicorn(proc: subprocess.Popen[bytes], settings: Settings) -> None:
    if proc.poll() is not None:
        return
    # SIGTERM is gunicorn's graceful shutdown: close the listener, let workers finish their requests.
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=settings.graceful_timeout_s + 10)
    except subprocess.TimeoutExpired:
        log.error("gunicorn did not stop in time; killing it")
        proc.kill()
        proc.wait()
    log.info("gunicorn stopped", extra={"returncode": proc.returncode})


def drain(proc: subprocess.Popen[bytes], settings: Settings, drain_file: str) -> None:
    Path(drain_file).touch()
    log.info("draining: /readyz fails from now on", extra={"drain_s": settings.drain_s})
    # Target group health checks see 503 and stop routing here; requests keep being served meanwhile.
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=settings.drain_s)
    stop_gunicorn(proc, settings)


def run(env: Mapping[str, str]) -> int:
    logs.configure(env.get("APP_LOG_LEVEL", "INFO").upper())
    try:
        settings = Settings.from_env(env)
    except SettingsError as exc:
        log.error("bad bootstrap configuration", extra={"error": str(exc)})
        return 2
    stop = Stop()
    stop.install()
    imds = Imds(settings.imds_url, timeout_s=settings.imds_timeout_s)
    try:
        identity = imds.wait_identity(settings.imds_deadline_s)
    except ImdsError as exc:
        # Without an instance id no hook can be completed; the launching hook's timeout abandons us.
        log.error("instance identity unavailable", extra={"error": str(exc)})
        return 1
    region = settings.region or identity.region
    log.info(
        "bootstrap starting",
        extra={
            "instance_id": identity.instance_id,
            "availability_zone": identity.availability_zone,
            "region": region,
        },
    )
    lifecycle = Lifecycle(autoscaling_client(region), settings, identity.instance_id)
    drain_file = settings.drain_file or str(Path(tempfile.mkdtemp(prefix="monolith-")) / "draining")
    Path(drain_file).unlink(missing_ok=True)  # a drain file left by an earlier run would keep us unready
    proc = subprocess.Popen(
        gunicorn_command(settings), env=child_environment(env, identity, region, drain_file)
    )
    log.info("gunicorn started", extra={"pid": proc.pid, "port": settings.port})

    if not wait_ready(proc, settings, stop):
        lifecycle.complete(settings.launch_hook, ABANDON)
        stop_gunicorn(proc, settings)
        if lifecycle.is_terminating():
            lifecycle.complete(settings.terminate_hook, CONTINUE)
        return 0 if stop.event.is_set() else 1
    log.info("ready")
    lifecycle.complete(settings.launch_hook, CONTINUE)

    why = serve_until_stopped(proc, settings, imds, stop)
    if why == "exited":
        log.error("gunicorn exited unexpectedly", extra={"returncode": proc.returncode})
        return proc.returncode or 1
    log.info("stopping", extra={"reason": why, "signal": stop.signal})
    drain(proc, settings, drain_file)
    if why == "terminating" or lifecycle.is_terminating():
        lifecycle.complete(settings.terminate_hook, CONTINUE)
    return 0


# -- systemd ---------------------------------------------------------------------------------------

UNIT_NAME = "monolith.service"


def unit_text(settings: Settings, env_file: Path, executable: Path) -> str:
    stop_timeout = int(settings.drain_s + settings.graceful_timeout_s + 30)
    return f"""\
[Unit]
Description=monolith records service (gunicorn, supervised by monolith-bootstrap)
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
EnvironmentFile={env_file}
Environment=APP_DRAIN_FILE=/run/monolith/draining
ExecStart={shlex.quote(str(executable))} run
# bootstrap drains and stops gunicorn itself: SIGTERM only to it; SIGKILL to the rest after the timeout.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec={stop_timeout}
Restart=on-failure
RestartSec=2
DynamicUser=yes
RuntimeDirectory=monolith
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
"""


def env_file_text(env: Mapping[str, str]) -> str:
    keep = sorted(
        (k, v)
        for k, v in env.items()
        if (k.startswith(("APP_", "AWS_")) and k not in _SECRET_ENV and k != "APP_DRAIN_FILE")
    )
    # systemd's EnvironmentFile syntax: KEY="value" with backslash escapes.
    lines = [f'{k}="{v.replace("\\", "\\\\").replace('"', '\\"')}"' for k, v in keep]
    return "\n".join(lines) + "\n"


def install_unit(
    env: Mapping[str, str], *, unit_dir: Path, env_file: Path, systemctl: str | None, executable: Path
) -> int:
    logs.configure(env.get("APP_LOG_LEVEL", "INFO").upper())
    settings = Settings.from_env(env)
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text(env_file_text(env))
    env_file.chmod(0o600)
    unit = unit_dir / UNIT_NAME
    unit.parent.mkdir(parents=True, exist_ok=True)
    unit.write_text(unit_text(settings, env_file, executable))
    log.info("systemd unit written", extra={"unit": str(unit), "env_file": str(env_file)})
    if systemctl is None:
        return 0
    for args in (["daemon-reload"], ["enable", "--now", UNIT_NAME]):
        subprocess.run([systemctl, *args], check=True)
    log.info("systemd unit started", extra={"unit": UNIT_NAME})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="monolith-bootstrap", description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="supervise gunicorn and the lifecycle hooks (the default)")
    unit = sub.add_parser("install-unit", help="write and start a systemd unit that runs `run`")
    unit.add_argument("--unit-dir", type=Path, default=Path("/etc/systemd/system"))
    unit.add_argument("--env-file", type=Path, default=Path("/etc/monolith/monolith.env"))
    unit.add_argument("--no-start", action="store_true", help="write the files only")
    args = parser.parse_args(argv)
    if args.command == "install-unit":
        return install_unit(
            os.environ,
            unit_dir=args.unit_dir,
            env_file=args.env_file,
            systemctl=None if args.no_start else "systemctl",
            executable=Path(sys.executable).parent / "monolith-bootstrap",
        )
    return run(os.environ)


if __name__ == "__main__":
    sys.exit(main())
