"""Least privilege without a stack: the instance policy as the security role renders it, the checker the e2e
test runs over the deployed policy, and the defaults that keep the ALB and the instances closed (issue 9)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

# The checker the e2e test runs over the deployed policy lives with the playbook tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "playbooks"))

from least_privilege import WILDCARD_ONLY_ACTIONS, policy_findings

REPO = Path(__file__).resolve().parents[2]

TEMPLATES = REPO / "roles" / "security" / "templates"
PREFIX = "tricontinent-production"


def render(name: str, partition: str = "aws", region: str = "eu-west-1") -> dict[str, Any]:
    # StrictUndefined: a variable the template gains without this test knowing it fails here, not silently.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined)
    text = env.get_template(name).render(
        __security_partition=partition,
        __security_account="123456789012",
        aws_region=region,
        security_table_name=f"{PREFIX}-records",
        security_artifact_bucket_name=f"{PREFIX}-123456789012-{region}-artifacts",
        security_asg_name_prefix=f"{PREFIX}-",
        security_log_group_name=f"/{PREFIX}/app",
        security_metrics_namespace="tricontinent/app",
    )
    document: dict[str, Any] = json.loads(text)
    return document


@pytest.mark.parametrize(("partition", "region"), [("aws", "eu-west-1"), ("aws-cn", "cn-north-1")])
def test_the_instance_policy_scopes_every_action_that_aws_lets_you_scope(partition: str, region: str) -> None:
    document = render("instance-policy.json.j2", partition, region)
    assert policy_findings(document, "instance-policy", PREFIX) == []
    for statement in document["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            assert resource == "*" or resource.startswith(f"arn:{partition}:"), resource
            if resource != "*" and ":s3:::" not in resource:
                assert f":{region}:123456789012:" in resource, resource


def test_the_instance_role_is_assumable_by_ec2_alone() -> None:
    (statement,) = render("ec2-trust-policy.json.j2")["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }


def test_every_wildcard_allowance_is_used_and_explained() -> None:
    used = {
        action
        for statement in render("instance-policy.json.j2")["Statement"]
        if statement["Resource"] == "*"
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    # A stale allowance would let a later "*" through unreviewed.
    assert used == set(WILDCARD_ONLY_ACTIONS)
    assert all(reason.strip() for reason in WILDCARD_ONLY_ACTIONS.values())


def statement(**fields: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Sid": "S", "Effect": "Allow", **fields}]}


@pytest.mark.parametrize(
    ("document", "finding"),
    [
        (statement(Action="s3:GetObject", Resource="*"), "Resource '*' for s3:GetObject"),
        (
            statement(
                Action=["autoscaling:DescribeAutoScalingInstances", "autoscaling:SetDesiredCapacity"], Resource="*"
            ),
            "Resource '*' for autoscaling:SetDesiredCapacity",
        ),
        (statement(Action="cloudwatch:PutMetricData", Resource="*"), "without the cloudwatch:namespace condition"),
        (statement(Action="dynamodb:*", Resource=f"arn:aws:dynamodb:eu-west-1:1:table/{PREFIX}-records"), "wildcard"),
        (statement(Action="*", Resource=f"arn:aws:s3:::{PREFIX}-b/*"), "wildcard"),
        (statement(NotAction="iam:*", Resource="*"), "NotAction"),
        (statement(Action="s3:GetObject", NotResource=f"arn:aws:s3:::{PREFIX}-b/*"), "NotResource"),
        (statement(Action="s3:GetObject", Resource="arn:aws:s3:::someone-elses-bucket/*"), "names no resource"),
        (
            statement(
                Action="dynamodb:GetItem", Resource=[f"arn:aws:dynamodb:eu-west-1:1:table/{PREFIX}-records", "*"]
            ),
            "Resource '*'",
        ),
    ],
)
def test_the_checker_finds_what_least_privilege_forbids(document: dict[str, Any], finding: str) -> None:
    found = policy_findings(document, "p", PREFIX)
    assert len(found) == 1 and finding in found[0], found


def test_a_deny_statement_is_never_a_finding() -> None:
    assert policy_findings(statement(Action="*", Resource="*"), "p", PREFIX)
    deny = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    assert policy_findings(deny, "p", PREFIX) == []


def test_the_security_defaults_keep_the_alb_and_the_instances_closed() -> None:
    defaults = yaml.safe_load((REPO / "roles/security/defaults/main.yml").read_text())
    # Opening the ALB to the internet, or attaching AWS's SSM policy (Resource "*" throughout), is a choice
    # an inventory makes on purpose.
    assert defaults["security_alb_open_to_world"] is False
    assert defaults["security_ssm_session_access"] is False
    assert defaults["security_alb_ports"] == [443]
