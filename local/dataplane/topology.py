"""Which regions the data plane serves, on which loopback ports: read once from the Ansible inventory."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"
# Port layout from the base port: entry, one front per region, IMDS, then the instances.
FRONT_OFFSET = 1
IMDS_OFFSET = 9
INSTANCE_OFFSET = 10
INSTANCE_PORTS = 90


class TopologyError(ValueError):
    pass


@dataclass(frozen=True)
class Region:
    name: str  # the inventory host: us, eu, au
    aws_region: str  # us-west-2, ...
    port: int  # its front on 127.0.0.1


@dataclass(frozen=True)
class Topology:
    regions: tuple[Region, ...]
    home: str
    base_port: int
    emulator_url: str
    state_dir: Path

    @property
    def entry_port(self) -> int:
        return self.base_port

    @property
    def imds_port(self) -> int:
        return self.base_port + IMDS_OFFSET

    @property
    def instance_ports(self) -> range:
        start = self.base_port + INSTANCE_OFFSET
        return range(start, start + INSTANCE_PORTS)

    def region(self, name: str) -> Region:
        for region in self.regions:
            if name in (region.name, region.aws_region):
                return region
        allowed = ", ".join(r.name for r in self.regions)
        raise TopologyError(f"REGION must be one of {allowed} (or their AWS names), got {name!r}")

    def failover_order(self) -> list[Region]:
        """The home region first, then the others in inventory order from the one after it."""
        names = [r.name for r in self.regions]
        start = names.index(self.home)
        return [self.regions[(start + i) % len(self.regions)] for i in range(len(self.regions))]

    def to_json(self) -> dict[str, object]:
        return {
            "entry": f"http://{LOOPBACK}:{self.entry_port}",
            "home": self.home,
            "fronts": {r.name: f"http://{LOOPBACK}:{r.port}" for r in self.regions},
            "aws_regions": {r.name: r.aws_region for r in self.regions},
            "emulator": self.emulator_url,
        }


def regions_from_inventory(ansible_inventory: Path, inventory: Path) -> list[tuple[str, str]]:
    """(host, aws_region) for every host of the inventory's `regions` group, in inventory order."""
    proc = subprocess.run(
        [str(ansible_inventory), "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        raise TopologyError(f"ansible-inventory -i {inventory} failed: {proc.stderr.strip()[-500:]}")
    data = json.loads(proc.stdout)
    hosts = data.get("regions", {}).get("hosts", [])
    if not hosts:
        raise TopologyError(f"inventory {inventory} has no hosts in group 'regions'")
    hostvars = data.get("_meta", {}).get("hostvars", {})
    pairs = []
    for host in hosts:
        aws_region = hostvars.get(host, {}).get("aws_region")
        if not aws_region:
            raise TopologyError(f"inventory host {host} has no aws_region")
        pairs.append((host, str(aws_region)))
    return pairs


def build(
    pairs: list[tuple[str, str]], *, home: str | None, base_port: int, emulator_url: str, state_dir: Path
) -> Topology:
    if not emulator_url.startswith(f"http://{LOOPBACK}:") and not emulator_url.startswith("http://127."):
        raise TopologyError(f"the data plane only talks to a loopback emulator, got {emulator_url!r}")
    if not 1024 <= base_port <= 65535 - INSTANCE_OFFSET - INSTANCE_PORTS:
        raise TopologyError(f"DATAPLANE_PORT must be 1024..{65535 - INSTANCE_OFFSET - INSTANCE_PORTS}, got {base_port}")
    if len(pairs) > IMDS_OFFSET - FRONT_OFFSET:
        raise TopologyError(f"at most {IMDS_OFFSET - FRONT_OFFSET} regions fit the port layout, got {len(pairs)}")
    regions = tuple(
        Region(name, aws_region, base_port + FRONT_OFFSET + i) for i, (name, aws_region) in enumerate(pairs)
    )
    names = [r.name for r in regions]
    home = home or names[0]
    if home not in names:
        raise TopologyError(f"DATAPLANE_HOME must be one of {', '.join(names)}, got {home!r}")
    return Topology(regions, home, base_port, emulator_url.rstrip("/"), state_dir)
