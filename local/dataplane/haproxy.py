"""HAProxy where AWS has ALBs, Route 53 latency records with health checks, and CloudFront's origin group.

One HAProxy (Debian's package) in master-worker mode serves every front:

- per region, a front on its own port that picks a target group per request by the listener's weights (as a
  weighted ALB forward does) and balances over that group's instances, checking ``/readyz`` every second
  (2 failures: out, 1 success: in), retrying a connection that fails on another instance;
- one global entry that sends everything to the home region's front while that front is healthy, and to the
  next healthy region otherwise (``backup`` servers: the first healthy one in order is used), retrying a
  GET/HEAD/OPTIONS that got a 5xx on the next region, as CloudFront's origin group fails over.

Config changes are validated (``haproxy -c``) and applied by signalling the master (SIGUSR2): new workers
take over the listening sockets and old ones finish their connections, so a reload drops nothing.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import subprocess
from pathlib import Path

from .cloud import TargetGroup
from .topology import LOOPBACK, Region, Topology

log = logging.getLogger("dataplane.haproxy")

# An instance refusing a connection is out at once (the next request's retry goes elsewhere); otherwise
# 2 failed 1-s /readyz checks take it out and 1 good one back in, as a target group's health check would.
CHECK = "inter 1s fall 2 rise 1 observe layer4 error-limit 1 on-error mark-down"
# A region front answering 5xx twice in a row is out at once, and needs 2 good checks to come back.
ENTRY_CHECK = "inter 1s fall 2 rise 2 observe layer7 error-limit 2 on-error mark-down"
WEIGHT_RANGE = 1000


class HaproxyError(RuntimeError):
    pass


def find_haproxy() -> str:
    path = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None
    )
    if not path:
        raise HaproxyError("haproxy not found: install Debian's package (apt-get install haproxy); see local/README.md")
    return path


def render(topology: Topology, regions: dict[str, list[TargetGroup] | None], addresses: dict[str, int]) -> str:
    """The whole configuration from the regions' target groups and the instances' loopback ports."""
    lines = [
        "# Written by the local data plane (local/dataplane/haproxy.py) on every change; do not edit.",
        "global",
        f"    stats socket {topology.state_dir / 'haproxy.sock'} mode 600 level admin expose-fd listeners",
        "    hard-stop-after 30s",
        "",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-keep-alive 60s",
        "    retries 2",
        "    option redispatch 1",
        "    retry-on conn-failure empty-response",
        "",
    ]
    for region in topology.regions:
        lines += _front(region, regions.get(region.name) or [], addresses)
    lines += _entry(topology)
    return "\n".join(lines) + "\n"


def _front(region: Region, groups: list[TargetGroup], addresses: dict[str, int]) -> list[str]:
    lines = [f"frontend front_{region.name}", f"    bind {LOOPBACK}:{region.port}"]
    live = [g for g in groups if g.weight > 0]
    total = sum(g.weight for g in live)
    if live:
        lines.append(f"    http-request set-var(txn.pick) rand({WEIGHT_RANGE})")
    threshold = 0
    for group in live:
        threshold += group.weight
        # Cumulative thresholds on one random draw: each group gets weight/total of the requests.
        limit = round(threshold * WEIGHT_RANGE / total)
        lines.append(f"    use_backend {region.name}_{group.name} if {{ var(txn.pick) -m int lt {limit} }}")
    lines += [f"    default_backend {region.name}_none", ""]
    for group in groups:
        lines += [
            f"backend {region.name}_{group.name}",
            "    balance roundrobin",
            "    option httpchk GET /readyz",
            "    http-check expect status 200",
        ]
        for instance_id in group.instance_ids:
            if instance_id in addresses:
                lines.append(f"    server {instance_id} {LOOPBACK}:{addresses[instance_id]} check {CHECK}")
        lines.append("")
    # No load balancer, or no weighted group yet: 503, as an ALB with no healthy target answers.
    lines += [f"backend {region.name}_none", ""]
    return lines


def _entry(topology: Topology) -> list[str]:
    lines = [
        "frontend entry",
        f"    bind {LOOPBACK}:{topology.entry_port}",
        "    default_backend entry",
        "",
        "backend entry",
        "    option httpchk GET /readyz",
        "    http-check expect status 200",
        # As CloudFront's origin group: a GET/HEAD/OPTIONS that gets a 5xx is tried on the next origin;
        # other methods are never replayed.
        "    retry-on conn-failure empty-response response-timeout 500 502 503 504",
        "    http-request disable-l7-retry unless METH_GET || METH_HEAD || METH_OPTIONS",
        "    retries 3",
    ]
    for i, region in enumerate(topology.failover_order()):
        backup = "" if i == 0 else " backup"
        lines.append(f"    server {region.name} {LOOPBACK}:{region.port} check {ENTRY_CHECK}{backup}")
    return [*lines, ""]


class Haproxy:
    def __init__(self, topology: Topology) -> None:
        self.binary = find_haproxy()
        self.config = topology.state_dir / "haproxy.cfg"
        self.log_path = topology.state_dir / "haproxy.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.applied: str | None = None

    def apply(self, text: str) -> bool:
        """Start HAProxy with `text`, or reload it when `text` differs from what runs; True when changed."""
        if text == self.applied and self.proc and self.proc.poll() is None:
            return False
        candidate = self.config.with_suffix(".new")
        candidate.write_text(text)
        check = subprocess.run([self.binary, "-c", "-q", "-f", str(candidate)], capture_output=True, text=True)
        if check.returncode != 0:
            raise HaproxyError(f"generated configuration refused:\n{check.stdout}{check.stderr}")
        candidate.replace(self.config)
        if self.proc is None or self.proc.poll() is not None:
            with self.log_path.open("ab") as out:
                self.proc = subprocess.Popen(
                    [self.binary, "-W", "-db", "-f", str(self.config)],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            log.info("haproxy started", extra={"pid": self.proc.pid})
        else:
            self.proc.send_signal(signal.SIGUSR2)
            log.info("haproxy reloaded")
        self.applied = text
        return True

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(FileNotFoundError):
            (self.config.parent / "haproxy.sock").unlink()
