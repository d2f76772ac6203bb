"""The data plane's pieces on their own: topology, user-data parsing, the IMDS stand-in, HAProxy's config."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from dataplane.cloud import Instance, TargetGroup, parse_exports
from dataplane.daemon import Daemon
from dataplane.haproxy import find_haproxy, render
from dataplane.imds import ImdsServer
from dataplane.topology import Topology, TopologyError, build
from emulator_harness import free_port

PAIRS = [("us", "us-west-2"), ("eu", "eu-west-1"), ("au", "ap-southeast-2")]


def topology(tmp_path: Path, home: str | None = None, base_port: int = 8400) -> Topology:
    return build(PAIRS, home=home, base_port=base_port, emulator_url="http://127.0.0.1:4566", state_dir=tmp_path)


def instance(instance_id: str = "i-0abc", state: str = "InService") -> Instance:
    return Instance(instance_id, "eu-west-1", "eu-west-1b", state, "g-blue", "lt-1", "3")


def test_ports_follow_the_base_and_the_inventory_order(tmp_path):
    topo = topology(tmp_path, base_port=9000)
    assert topo.entry_port == 9000
    assert [r.port for r in topo.regions] == [9001, 9002, 9003]
    assert topo.imds_port == 9009
    assert topo.instance_ports[0] == 9010


def test_failover_starts_at_home_and_wraps(tmp_path):
    assert [r.name for r in topology(tmp_path, home="eu").failover_order()] == ["eu", "au", "us"]
    assert [r.name for r in topology(tmp_path).failover_order()] == ["us", "eu", "au"]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"home": "mars"}, ["DATAPLANE_HOME", "us, eu, au", "'mars'"]),
        ({"base_port": 80}, ["DATAPLANE_PORT", "1024"]),
        ({"emulator_url": "http://10.0.0.1:4566"}, ["loopback", "10.0.0.1"]),
    ],
)
def test_bad_settings_are_named(tmp_path, kwargs, words):
    args = {"home": None, "base_port": 8400, "emulator_url": "http://127.0.0.1:4566", "state_dir": tmp_path, **kwargs}
    with pytest.raises(TopologyError) as err:
        build(PAIRS, **args)
    assert all(word in str(err.value) for word in words), err.value


def test_region_lookup_names_the_allowed_values(tmp_path):
    topo = topology(tmp_path)
    assert topo.region("eu-west-1").name == "eu"
    with pytest.raises(TopologyError, match="REGION must be one of us, eu, au"):
        topo.region("mars")


def test_user_data_exports_are_read_as_bash_would():
    script = (
        "#!/bin/bash\nexport AWS_REGION=eu-west-1\nexport APP_VERSION='2.0 beta'\nexport EMPTY=''\necho export X=1\n"
    )
    assert parse_exports(script) == {"AWS_REGION": "eu-west-1", "APP_VERSION": "2.0 beta", "EMPTY": ""}


def test_target_lifecycle_state_follows_auto_scaling():
    assert instance(state="Pending:Wait").target_lifecycle_state == "InService"
    assert instance(state="Terminating:Wait").target_lifecycle_state == "Terminated"


def test_the_daemon_forgets_instances_gone_from_the_region_unless_still_draining():
    gone, draining, listed = instance("i-gone"), instance("i-draining"), instance("i-listed")
    elsewhere = Instance("i-us", "us-west-2", "us-west-2a", "InService", "g-blue", "lt-1", "3")
    daemon = Daemon.__new__(Daemon)  # only the bookkeeping: no emulator, IMDS server or HAProxy
    daemon.known = {i.instance_id: i for i in (gone, draining, listed, elsewhere)}
    daemon.runner = type("Runner", (), {"processes": {"i-draining": object()}})()
    daemon.forget_gone("eu-west-1", {"i-listed"})
    assert sorted(daemon.known) == ["i-draining", "i-listed", "i-us"]


def test_imds_stand_in_requires_a_token_of_the_same_instance():
    known = {"i-0abc": instance(), "i-0def": instance("i-0def", "Terminating:Wait")}
    server = ImdsServer(free_port(), known.get)
    server.start()
    base = f"http://127.0.0.1:{server.httpd.server_address[1]}"
    try:

        def call(path: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, str]:
            req = urllib.request.Request(base + path, method=method, headers=headers or {})
            try:
                with urllib.request.urlopen(req, timeout=2) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as exc:
                return exc.code, ""

        assert call("/i-0abc/latest/api/token", "PUT")[0] == 400  # the TTL header is required
        status, token = call("/i-0abc/latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        assert status == 200 and token
        assert call("/i-0abc/latest/meta-data/instance-id")[0] == 401  # IMDSv2: no token, no answer
        auth = {"X-aws-ec2-metadata-token": token}
        assert call("/i-0abc/latest/meta-data/instance-id", headers=auth) == (200, "i-0abc")
        assert call("/i-0abc/latest/meta-data/placement/availability-zone", headers=auth) == (200, "eu-west-1b")
        assert call("/i-0abc/latest/meta-data/autoscaling/target-lifecycle-state", headers=auth) == (200, "InService")
        assert call("/i-0abc/latest/meta-data/no-such-thing", headers=auth)[0] == 404
        assert call("/i-0def/latest/meta-data/instance-id", headers=auth)[0] == 401  # another instance's token
        assert call("/i-0nope/latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})[0] == 404
    finally:
        server.stop()


GROUPS = {
    "us": [TargetGroup("p-blue", 90, ("i-1", "i-2")), TargetGroup("p-green", 10, ("i-3", "i-gone"))],
    "eu": [TargetGroup("p-blue", 100, ("i-4",)), TargetGroup("p-green", 0, ())],
    "au": None,
}
ADDRESSES = {"i-1": 8410, "i-2": 8411, "i-3": 8412, "i-4": 8413}


def test_weights_become_cumulative_thresholds_on_one_draw(tmp_path):
    text = render(topology(tmp_path), GROUPS, ADDRESSES)
    assert "use_backend us_p-blue if { var(txn.pick) -m int lt 900 }" in text
    assert "use_backend us_p-green if { var(txn.pick) -m int lt 1000 }" in text
    assert "use_backend eu_p-blue if { var(txn.pick) -m int lt 1000 }" in text
    assert "use_backend eu_p-green" not in text  # weight 0 gets nothing
    assert "server i-3 127.0.0.1:8412 check" in text
    assert "i-gone" not in text  # registered, but no process answers for it


def test_entry_prefers_home_and_keeps_the_others_as_ordered_backups(tmp_path):
    text = render(topology(tmp_path, home="eu"), GROUPS, ADDRESSES)
    entry = text[text.index("backend entry") :]
    servers = [
        line.split()[1:3] + (["backup"] if "backup" in line else []) for line in entry.splitlines() if "server" in line
    ]
    assert servers == [["eu", "127.0.0.1:8402"], ["au", "127.0.0.1:8403", "backup"], ["us", "127.0.0.1:8401", "backup"]]


def test_haproxy_accepts_the_generated_configuration(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(render(topology(tmp_path), GROUPS, ADDRESSES))
    check = subprocess.run([find_haproxy(), "-c", "-f", str(config)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
