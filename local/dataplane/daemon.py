"""The loop: once a second, read the emulator, reconcile the instance processes, regenerate HAProxy's config.

A region whose state cannot be read this round (the emulator restarting, say) keeps what it runs: an API
error never stops a process. ``state.json`` in the state directory says what runs, for the CLI and tests;
a file ``down/<region>`` there (``make chaos``) keeps that region's instances dead until removed (``make heal``).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType

from .cloud import Cloud, Instance, TargetGroup
from .haproxy import Haproxy, render
from .imds import ImdsServer
from .instances import InstanceRunner
from .topology import Topology

log = logging.getLogger("dataplane")
INTERVAL_S = 1.0


class Daemon:
    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.cloud = Cloud(topology.emulator_url)
        self.runner = InstanceRunner(topology, self.cloud)
        self.haproxy = Haproxy(topology)
        self.known: dict[str, Instance] = {}
        self.groups: dict[str, list[TargetGroup] | None] = {}
        self.imds = ImdsServer(topology.imds_port, self.known.get)
        self.stop = threading.Event()

    @property
    def down_dir(self) -> Path:
        return self.topology.state_dir / "down"

    def down_regions(self) -> set[str]:
        if not self.down_dir.is_dir():
            return set()
        return {p.name for p in self.down_dir.iterdir()}

    def _signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        self.stop.set()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)
        self.topology.state_dir.mkdir(parents=True, exist_ok=True)
        self.imds.start()
        try:
            while not self.stop.is_set():
                self.step()
                self.stop.wait(INTERVAL_S)
        finally:
            self.shutdown()
        return 0

    def step(self) -> None:
        down = self.down_regions()
        for region in self.topology.regions:
            try:
                instances = self.cloud.instances(region.aws_region)
                groups = self.cloud.target_groups(region.aws_region)
            except Exception as exc:
                log.warning("cannot read the region; keeping what runs", extra={"region": region.name, "error": exc})
                continue
            for instance in instances:
                self.known[instance.instance_id] = instance
            self.runner.reconcile(region.aws_region, instances, down=region.name in down)
            self.forget_gone(region.aws_region, {i.instance_id for i in instances})
            self.groups[region.name] = groups
        self.haproxy.apply(render(self.topology, self.groups, self.runner.addresses()))
        self.write_state(down)

    def forget_gone(self, aws_region: str, seen: set[str]) -> None:
        """Drop the IMDS view of instances the region no longer lists and no process of ours still runs
        (a draining process keeps reading its lifecycle state), so a long-lived stack does not grow it."""
        keep = seen | set(self.runner.processes)
        for instance_id, instance in list(self.known.items()):
            if instance.aws_region == aws_region and instance_id not in keep:
                del self.known[instance_id]

    def write_state(self, down: set[str]) -> None:
        by_region = {r.aws_region: r.name for r in self.topology.regions}
        instances = {
            instance_id: {
                "region": by_region.get(proc.instance.aws_region, proc.instance.aws_region),
                "lifecycle_state": proc.instance.lifecycle_state,
                "port": proc.port,
                "pid": proc.popen.pid,
                "serving": proc.alive and proc.stopping_since is None,
                "colour": proc.env.get("APP_COLOUR", ""),
                "version": proc.env.get("APP_VERSION", ""),
            }
            for instance_id, proc in self.runner.processes.items()
        }
        state = {
            **self.topology.to_json(),
            "down": sorted(down),
            "instances": instances,
            "haproxy_pid": self.haproxy.proc.pid if self.haproxy.proc else None,
            "updated": time.time(),
        }
        path = self.topology.state_dir / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(path)

    def shutdown(self) -> None:
        self.runner.stop_all()
        self.haproxy.stop()
        self.imds.stop()
        (self.topology.state_dir / "state.json").unlink(missing_ok=True)
        log.info("stopped")
