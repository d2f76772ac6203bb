"""Bad input stops site.yml (and canary.yml) before any AWS change, with a message naming the variable and what
is allowed. tests/unit/test_readme_bad_inputs.py counts these cases for the README."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playbook_runner import REPO, run_playbook

GOOD_REGIONS = {
    "us": {"aws_region": "us-west-2", "network_vpc_cidr": "10.10.0.0/16"},
    "eu": {"aws_region": "eu-west-1", "network_vpc_cidr": "10.20.0.0/16"},
    "au": {"aws_region": "ap-southeast-2", "network_vpc_cidr": "10.30.0.0/16"},
}


GOOD_EDGE = {"global": {"aws_region": "us-east-1"}}


def inventory(tmp_path: Path, regions: dict[str, dict[str, str]], edge: dict[str, dict[str, str]] = GOOD_EDGE) -> Path:
    local_vars = yaml.safe_load((REPO / "inventories/local/group_vars/all.yml").read_text())
    data = {
        "all": {
            "vars": local_vars,
            "children": {"regions": {"hosts": regions}, "edge": {"hosts": edge}},
        }
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(data))
    return path


# (extra vars, words the error must contain)
BAD_EXTRA_VARS = [
    (["-e", "network_vpc_cidr=10.10.0.0/33"], ["network_vpc_cidr", "CIDR"]),
    (["-e", "network_vpc_cidr=10.10.0.1/16"], ["network_vpc_cidr", "host bits"]),
    (["-e", "network_vpc_cidr=10.0.0.0/8"], ["network_vpc_cidr", "/16 to /22"]),
    (["-e", "network_vpc_cidr=8.8.0.0/16"], ["network_vpc_cidr", "private"]),
    (["-e", "compute_capacity=0"], ["compute_capacity", "at least 3"]),
    (["-e", "compute_capacity=two"], ["compute_capacity"]),
    (["-e", "network_nat_gateway_mode=many"], ["network_nat_gateway_mode", "per_az, single"]),
    (["-e", "network_availability_zone_count=5"], ["network_availability_zone_count", "2, 3"]),
    (["-e", "project_name=Tri_Continent"], ["project_name", "^[a-z][a-z0-9]{1,11}$"]),
    (["-e", "project_environment=production-eu-1"], ["project_environment"]),
    (["-e", "security_alb_open_to_world=perhaps"], ["security_alb_open_to_world"]),
    # JSON, so the whole string is the value (key=value parsing would stop at the first space).
    (["-e", '{"app_version": "v2; rm -rf /"}'], ["app_version", "v2; rm -rf /", "version number such as"]),
    (["-e", "app_version=../../etc"], ["app_version", "version number such as"]),
    (["-e", "project_domain=not_a_domain.com"], ["project_domain", "'not_a_domain'", "not a valid DNS name"]),
    (["-e", "project_domain=localhost"], ["project_domain", "single label"]),
    (["-e", "project_domain="], ["project_domain", "example.com"]),
    (["-e", "routing_health_check_path=readyz"], ["routing_health_check_path", "must start with a slash"]),
    (["-e", '{"cdn_failover_status_codes": [418]}'], ["cdn_failover_status_codes", "500, 502, 503, 504", "[418]"]),
    (["-e", "database_sse=rot13"], ["database_sse", "aws_owned, aws_managed_kms"]),
    (["-e", "network_vpc_cidr=fd00::/16"], ["network_vpc_cidr", "not an IPv4 network"]),
    (["-e", "compute_capacity=-3"], ["compute_capacity is -3", "whole number of at least 3"]),
    (["-e", "project_domain=Example.com"], ["project_domain", "'Example'", "lowercase"]),
    (["-e", '{"artifact_app_versions": ["1", "2/../3"]}'], ["artifact_app_versions", "2/../3", "such as 1, 2"]),
    # Colours: the compute role would refuse these only after the network, groups and ALB exist.
    (["-e", "compute_live_colour=red"], ["compute_live_colour", "blue, green", "red"]),
    (["-e", '{"compute_colour_capacity": {"purple": 3}}'], ["compute_colour_capacity", "purple", "blue, green"]),
    (["-e", '{"compute_colour_capacity": {"green": -1}}'], ["compute_colour_capacity", "whole numbers >= 0"]),
    (["-e", '{"compute_app_versions": {"green": "latest"}}'], ["compute_app_versions", "latest", "2, 1.4.0"]),
    (["-e", '{"report_colours": ["blue", "red"]}'], ["report_colours", "'red'", "blue, green"]),
    # Tags: each resource is tagged as it is made, so a tag AWS refuses would fail a run halfway.
    (["-e", '{"project_tags": {"aws:owner": "me"}}'], ["project_tags", "'aws:owner'", "reserves"]),
    (["-e", '{"network_tags": ["Project"]}'], ["network_tags", "must be a mapping"]),
    (["-e", '{"compute_tags": {"Team": "50%"}}'], ["compute_tags", "'50%'", "letters, digits, spaces"]),
    # Region lists default to the inventory's regions; an override must still name real ones.
    (["-e", '{"database_regions": ["us-west-2", "mars-north-1"]}'], ["database_regions", "unknown: mars-north-1"]),
    (["-e", '{"monitoring_peer_regions": ["eu-west-1", "eu-west-1"]}'], ["monitoring_peer_regions", "once"]),
    (["-e", "database_home_region=eu-central-1"], ["database_home_region", "one of database_regions", "us-west-2"]),
    (["-e", '{"loadbalancer_health_check_path": "/readyz?deep=1"}'], ["loadbalancer_health_check_path", "no query"]),
    (["-e", '{"routing_health_check_path": "/' + "a" * 300 + '"}'], ["routing_health_check_path", "255 characters"]),
    # The account: the emulator's is 123456789012 (inventories/local sets it as aws_account_id).
    (["-e", "aws_account_id=12345"], ["aws_account_id", "'12345'", "12 digits"]),
    (["-e", "aws_account_id=111111111111"], ["aws_account_id is 111111111111", "account 123456789012"]),
]

# canary.yml checks its timings in its first play, before it reads any region.
BAD_CANARY_VARS = [
    (["-e", "weight=10", "-e", "canary_bake_seconds=-5"], ["canary_bake_seconds", "got '-5'", "whole numbers"]),
    (["-e", "weight=10", "-e", "canary_poll_seconds=0"], ["canary_poll_seconds 1..60", "got '0'"]),
]

BAD_INVENTORIES = [
    (
        {**GOOD_REGIONS, "au": {"aws_region": "ap-southeast-2", "network_vpc_cidr": "10.20.128.0/20"}},
        ["network_vpc_cidr overlaps", "au and eu"],
    ),
    (
        {**GOOD_REGIONS, "au": {"aws_region": "mars-north-1", "network_vpc_cidr": "10.30.0.0/16"}},
        ["aws_region", "mars-north-1"],
    ),
    (
        {**GOOD_REGIONS, "au": {"aws_region": "eu-west-1", "network_vpc_cidr": "10.30.0.0/16"}},
        ["same aws_region", "eu=eu-west-1"],
    ),
    ({**GOOD_REGIONS, "au": {"network_vpc_cidr": "10.30.0.0/16"}}, ["aws_region of host au"]),
    ({}, ["no host in group regions"]),
]


def assert_refused_without_change(emulator, run, words: list[str]) -> None:
    assert run.returncode != 0, run.output[-3000:]
    for word in words:
        assert word in run.output, f"{word!r} missing from:\n{run.output[-3000:]}"
    assert "Traceback" not in run.output
    assert emulator.calls()["mutating"] == [], "a bad input must fail before any change"


@pytest.mark.parametrize(("extra", "words"), BAD_EXTRA_VARS, ids=[" ".join(e[1:])[:60] for e, _ in BAD_EXTRA_VARS])
def test_bad_variable_fails_before_any_change(stack_emulator, extra, words):
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, "site.yml", *extra)
    assert_refused_without_change(stack_emulator, run, words)


@pytest.mark.parametrize(
    ("regions", "words"), BAD_INVENTORIES, ids=["overlap", "unknown-region", "same-region", "no-region", "no-regions"]
)
def test_bad_inventory_fails_before_any_change(stack_emulator, tmp_path, regions, words):
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, "site.yml", inventory=inventory(tmp_path, regions))
    assert_refused_without_change(stack_emulator, run, words)


def test_edge_host_outside_us_east_1_fails_before_any_change(stack_emulator, tmp_path):
    stack_emulator.reset_calls()
    hosts = inventory(tmp_path, GOOD_REGIONS, edge={"global": {"aws_region": "eu-west-1"}})
    run = run_playbook(stack_emulator.url, "site.yml", inventory=hosts)
    assert_refused_without_change(stack_emulator, run, ["edge host global is eu-west-1", "must be us-east-1"])


@pytest.mark.parametrize(("extra", "words"), BAD_CANARY_VARS, ids=[e[3] for e, _ in BAD_CANARY_VARS])
def test_bad_canary_timing_fails_before_any_aws_call(stack_emulator, extra, words):
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, "canary.yml", *extra)
    assert_refused_without_change(stack_emulator, run, words)
    assert stack_emulator.calls()["total"] == 0, "the timings are checked before any AWS call"


def test_destroy_without_confirmation_fails_instead_of_hanging(stack_emulator):
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, "destroy.yml")
    assert_refused_without_change(stack_emulator, run, ["not confirmed", "-e confirm=yes", "123456789012"])


@pytest.mark.parametrize(
    "command",
    [["destroy.yml", "-e", "confirm=yes"], ["canary.yml", "-e", "weight=10"]],
    ids=["destroy-confirmed", "canary"],
)
def test_credentials_of_another_account_are_refused_before_any_change(stack_emulator, command):
    """A stale AWS_PROFILE must not remove or shift anything, even with the confirmation given."""
    stack_emulator.reset_calls()
    run = run_playbook(stack_emulator.url, *command, "-e", "aws_account_id=111111111111")
    assert_refused_without_change(stack_emulator, run, ["aws_account_id is 111111111111", "account 123456789012"])
