"""The collection's filters: subnet plans, CIDR checks and argument-spec clean-up."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ansible.errors import AnsibleFilterError

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PLUGINS / "filter" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


cidr = load("cidr")
argspec = load("argspec")


def test_subnets_are_consecutive_and_inside_the_vpc():
    assert cidr.subnet_cidrs("10.10.0.0/16", 3, 4, 0) == ["10.10.0.0/20", "10.10.16.0/20", "10.10.32.0/20"]
    assert cidr.subnet_cidrs("10.10.0.0/16", 3, 4, 8) == ["10.10.128.0/20", "10.10.144.0/20", "10.10.160.0/20"]


def test_subnet_plan_that_does_not_fit_is_refused():
    with pytest.raises(AnsibleFilterError, match="only 16 subnets"):
        cidr.subnet_cidrs("10.10.0.0/16", 3, 4, 14)
    with pytest.raises(AnsibleFilterError, match="/28"):
        cidr.subnet_cidrs("10.10.0.0/22", 3, 8, 0)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("10.10.0.0/16", ""),
        ("10.10.0.0/22", ""),
        ("10.10.0.0/23", "/16 to /22"),
        ("10.0.0.0/8", "/16 to /22"),
        ("10.10.0.1/16", "host bits"),
        ("not-a-cidr", "not an IPv4 network"),
        ("", "not an IPv4 network"),
        ("8.8.0.0/16", "private"),
        (None, "not an IPv4 network"),
    ],
)
def test_cidr_error_explains_what_is_wrong(value, problem):
    error = cidr.cidr_error(value)
    assert (problem in error) if problem else error == ""


def test_overlapping_cidrs_names_each_pair_once():
    plan = {"us": "10.10.0.0/16", "eu": "10.20.0.0/16", "au": "10.20.128.0/20", "ca": "10.30.0.0/16"}
    assert cidr.overlapping_cidrs(plan) == [["au", "eu"]]
    assert cidr.overlapping_cidrs({"us": "10.10.0.0/16", "eu": "10.20.0.0/16"}) == []


def test_literal_defaults_only_drops_template_defaults_at_every_level():
    spec = {
        "a_tags": {"type": "dict", "default": "{{ project_tags }}"},
        "a_port": {"type": "int", "default": 8000},
        "a_nested": {"type": "dict", "options": {"x": {"type": "str", "default": "{{ y }}"}}},
    }
    cleaned = argspec.literal_defaults_only(spec)
    assert "default" not in cleaned["a_tags"]
    assert cleaned["a_port"]["default"] == 8000
    assert "default" not in cleaned["a_nested"]["options"]["x"]
    assert spec["a_tags"]["default"] == "{{ project_tags }}", "the input spec is left as it was"


dns = load("dns")


@pytest.mark.parametrize("name", ["example.com", "tricontinent.local.test", "a-b.example.co.uk", "example.com."])
def test_valid_domains_pass(name):
    assert dns.dns_name_error(name) == ""


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "not a domain name"),
        ("localhost", "single label"),
        ("-bad.example.com", "'-bad'"),
        ("bad-.example.com", "'bad-'"),
        ("Example.com", "'Example'"),
        ("exa mple.com", "'exa mple'"),
        ("example..com", "''"),
        ("x" * 64 + ".com", "must be 1..63"),
        ("a." * 127 + "com", "longer than 253"),
        ("10.0.0.1", "numeric label"),
        (None, "not a domain name"),
    ],
)
def test_invalid_domains_say_why(name, why):
    assert why in dns.dns_name_error(name)


@pytest.mark.parametrize(
    ("path", "ok"), [("/readyz", True), ("/", True), ("readyz", False), ("/a b", False), ("/x?y", False), ("", False)]
)
def test_health_check_paths(path, ok):
    assert (dns.url_path_error(path) == "") is ok


tags = load("tags")


@pytest.mark.parametrize(
    "value",
    [{}, {"Project": "tricontinent", "Environment": "local"}, {"cost-centre/team": "a b_c.d:e=f+g@h"}, {"k": ""}],
)
def test_tags_aws_accepts_pass(value):
    assert tags.tag_error(value) == ""


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (["Project"], "must be a mapping"),
        ("Project=x", "must be a mapping"),
        ({"aws:owner": "me"}, "starts with aws:"),
        ({"AWS:Owner": "me"}, "starts with aws:"),
        ({"": "x"}, "tag key ''"),
        ({"k" * 129: "x"}, "keys 1..128"),
        ({"Team": "a" * 257}, "values 0..256"),
        ({"Team": "50%"}, "not allowed"),
        ({"Te#am": "x"}, "tag key 'Te#am'"),
        ({"Cost": 5}, "values must be strings"),
        ({f"k{i}": "v" for i in range(51)}, "at most 50"),
    ],
)
def test_tags_aws_refuses_say_why(value, why):
    assert why in tags.tag_error(value)
