"""acm_certificate_request against the emulator: request, DNS-validate through Route 53, reuse, delete."""

from __future__ import annotations

from typing import Any

import pytest
from module_runner import run_module

REGION = "eu-west-1"


@pytest.fixture
def zone(client, unique) -> tuple[str, str]:
    """A public hosted zone for a fresh domain: (zone id, domain)."""
    domain = f"{unique}.example.com"
    zone_id = client("route53", "us-east-1").create_hosted_zone(Name=domain, CallerReference=unique)["HostedZone"]["Id"]
    return zone_id.rsplit("/", 1)[-1], domain


def cnames(client: Any, zone_id: str) -> dict[str, str]:
    sets = client("route53", "us-east-1").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {s["Name"]: s["ResourceRecords"][0]["Value"] for s in sets if s["Type"] == "CNAME"}


def certificates(client: Any, domain: str, region: str = REGION) -> list[str]:
    summaries = client("acm", region).list_certificates()["CertificateSummaryList"]
    return [s["CertificateArn"] for s in summaries if s["DomainName"] == domain]


def request(emulator, zone_id: str, domain: str, **args: Any):
    return run_module(
        emulator.url,
        "acm_certificate_request",
        {"domain_name": domain, "hosted_zone_id": zone_id, "wait_timeout": 60, **args.pop("module_args", {})},
        region=args.pop("region", REGION),
        **args,
    )


def test_check_mode_requests_nothing(emulator, client, zone) -> None:
    zone_id, domain = zone
    emulator.reset_calls()
    result = request(emulator, zone_id, domain, check=True)
    assert not result.failed, result.msg
    assert result.changed
    assert result["certificate_arn"] == ""
    assert result["status"] == "PENDING_VALIDATION"
    assert result["subject_alternative_names"] == [domain]
    assert emulator.calls()["mutating"] == []
    assert certificates(client, domain) == []
    assert cnames(client, zone_id) == {}


def test_create_issues_then_rerun_makes_no_mutating_call(emulator, client, zone) -> None:
    zone_id, domain = zone
    args = {"subject_alternative_names": [f"www.{domain}", f"*.{domain}"], "tags": {"Project": "t"}}
    result = request(emulator, zone_id, domain, module_args=args)
    assert not result.failed, result.msg
    assert result.changed
    assert result["status"] == "ISSUED"
    assert result["domain_name"] == domain
    assert result["subject_alternative_names"] == [domain, f"www.{domain}", f"*.{domain}"]
    records = result["validation_records"]
    # The wildcard shares the apex's record: two distinct CNAMEs for three names.
    assert len(records) == 2
    assert cnames(client, zone_id) == {r["name"]: r["value"] for r in records}
    acm = client("acm", REGION)
    assert acm.describe_certificate(CertificateArn=result["certificate_arn"])["Certificate"]["Status"] == "ISSUED"
    tags = acm.list_tags_for_certificate(CertificateArn=result["certificate_arn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Project": "t"}

    emulator.reset_calls()
    again = request(emulator, zone_id, domain, module_args=args)
    assert not again.failed, again.msg
    assert not again.changed
    assert again["certificate_arn"] == result["certificate_arn"]
    assert again["validation_records"] == records
    assert emulator.calls()["mutating"] == []
    assert certificates(client, domain) == [result["certificate_arn"]]


def test_missing_record_is_put_back(emulator, client, zone) -> None:
    zone_id, domain = zone
    first = request(emulator, zone_id, domain)
    record = first["validation_records"][0]
    client("route53", "us-east-1").change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": record["name"],
                        "Type": "CNAME",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": "_wrong.example.net."}],
                    },
                }
            ]
        },
    )
    assert request(emulator, zone_id, domain, check=True).changed
    assert cnames(client, zone_id)[record["name"]] == "_wrong.example.net."
    fixed = request(emulator, zone_id, domain)
    assert fixed.changed
    assert fixed["certificate_arn"] == first["certificate_arn"]
    assert cnames(client, zone_id)[record["name"]] == record["value"]


def test_diff_shows_the_certificate_and_its_records(emulator, zone) -> None:
    zone_id, domain = zone
    result = request(emulator, zone_id, domain, diff=True)
    assert not result.failed, result.msg
    diff = result["diff"]
    assert diff["before"]["certificate_arn"] == ""
    assert diff["before"]["validation_records"] == []
    assert diff["after"]["certificate_arn"] == result["certificate_arn"]
    assert diff["after"]["status"] == "ISSUED"
    assert diff["after"]["validation_records"] == result["validation_records"]
    assert set(diff["after"]) == {
        "certificate_arn",
        "domain_name",
        "subject_alternative_names",
        "status",
        "validation_records",
    }
    again = request(emulator, zone_id, domain, diff=True)
    assert again["diff"]["before"] == again["diff"]["after"]


def test_a_san_change_makes_a_new_certificate(emulator, client, zone) -> None:
    zone_id, domain = zone
    one = request(emulator, zone_id, domain, module_args={"subject_alternative_names": [f"www.{domain}"]})
    two = request(
        emulator, zone_id, domain, module_args={"subject_alternative_names": [f"api.{domain}", f"www.{domain}"]}
    )
    assert two.changed
    assert two["certificate_arn"] != one["certificate_arn"]
    assert two["status"] == "ISSUED"
    assert sorted(certificates(client, domain)) == sorted([one["certificate_arn"], two["certificate_arn"]])
    assert {r["name"] for r in two["validation_records"]} <= set(cnames(client, zone_id))
    # The order of the names does not matter.
    same = request(
        emulator, zone_id, domain, module_args={"subject_alternative_names": [f"www.{domain}", f"api.{domain}"]}
    )
    assert not same.changed
    assert same["certificate_arn"] == two["certificate_arn"]


def test_tags_distinguish_certificates(emulator, client, zone) -> None:
    zone_id, domain = zone
    alpha = request(emulator, zone_id, domain, module_args={"tags": {"Project": "alpha"}})
    beta = request(emulator, zone_id, domain, module_args={"tags": {"Project": "beta"}})
    assert beta.changed
    assert beta["certificate_arn"] != alpha["certificate_arn"]
    # Same names, same account: both certificates validate with the same record.
    assert beta["validation_records"] == alpha["validation_records"]
    again = request(emulator, zone_id, domain, module_args={"tags": {"Project": "alpha"}})
    assert not again.changed
    assert again["certificate_arn"] == alpha["certificate_arn"]
    assert len(certificates(client, domain)) == 2


def test_absent_deletes_the_certificate_and_unshared_records(emulator, client, zone) -> None:
    zone_id, domain = zone
    alpha = request(emulator, zone_id, domain, module_args={"tags": {"Project": "alpha"}})
    beta = request(emulator, zone_id, domain, module_args={"tags": {"Project": "beta"}})
    record = alpha["validation_records"][0]

    check = request(
        emulator, zone_id, domain, check=True, module_args={"state": "absent", "tags": {"Project": "alpha"}}
    )
    assert check.changed
    assert check["deleted_certificate_arns"] == [alpha["certificate_arn"]]
    assert alpha["certificate_arn"] in certificates(client, domain)

    gone = request(emulator, zone_id, domain, module_args={"state": "absent", "tags": {"Project": "alpha"}})
    assert not gone.failed, gone.msg
    assert gone.changed
    assert gone["status"] == "DELETED"
    assert certificates(client, domain) == [beta["certificate_arn"]]
    # beta still validates (and renews) with the shared record: it stays.
    assert gone["removed_records"] == []
    assert cnames(client, zone_id) == {record["name"]: record["value"]}

    last = request(emulator, zone_id, domain, module_args={"state": "absent", "tags": {"Project": "beta"}})
    assert last.changed
    assert last["removed_records"] == [record]
    assert certificates(client, domain) == []
    assert cnames(client, zone_id) == {}

    twice = request(emulator, zone_id, domain, module_args={"state": "absent", "tags": {"Project": "beta"}})
    assert not twice.failed, twice.msg
    assert not twice.changed
    assert twice["certificate_arn"] == ""


def test_absent_keeps_a_record_used_in_a_shared_region(emulator, client, zone) -> None:
    zone_id, domain = zone
    edge = request(emulator, zone_id, domain, region="us-east-1")
    regional = request(emulator, zone_id, domain)
    assert regional["validation_records"] == edge["validation_records"]
    args = {"state": "absent", "shared_record_regions": ["us-east-1"]}
    gone = request(emulator, zone_id, domain, module_args=args)
    assert gone.changed
    assert gone["removed_records"] == []
    assert set(cnames(client, zone_id)) == {r["name"] for r in edge["validation_records"]}


def test_absent_refuses_a_certificate_in_use(emulator, client, zone, unique) -> None:
    zone_id, domain = zone
    cert = request(emulator, zone_id, domain)
    client("elb", REGION).create_load_balancer(
        LoadBalancerName=unique[:32],
        AvailabilityZones=[f"{REGION}a"],
        Listeners=[
            {
                "Protocol": "HTTPS",
                "LoadBalancerPort": 443,
                "InstanceProtocol": "HTTP",
                "InstancePort": 80,
                "SSLCertificateId": cert["certificate_arn"],
            }
        ],
    )
    result = request(emulator, zone_id, domain, module_args={"state": "absent"})
    assert result.failed
    assert cert["certificate_arn"] in result.msg
    assert "in use by" in result.msg
    assert unique[:32] in result.msg
    assert certificates(client, domain) == [cert["certificate_arn"]]
    assert cnames(client, zone_id) != {}


def test_missing_hosted_zone_id_fails_clearly(emulator, client, unique) -> None:
    domain = f"{unique}.example.com"
    result = run_module(emulator.url, "acm_certificate_request", {"domain_name": domain}, region=REGION)
    assert result.failed
    assert "hosted_zone_id is required" in result.msg
    assert certificates(client, domain) == []


def test_timeout_says_the_zone_must_be_delegated(emulator, client, unique) -> None:
    # A private zone is invisible to ACM's resolvers: the records are written but never validate.
    domain = f"{unique}.internal.example"
    vpc = client("ec2", REGION).create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    zone_id = client("route53", "us-east-1").create_hosted_zone(
        Name=domain,
        CallerReference=unique,
        VPC={"VPCRegion": REGION, "VPCId": vpc},
        HostedZoneConfig={"PrivateZone": True},
    )["HostedZone"]["Id"]
    result = request(emulator, zone_id, domain, module_args={"wait_timeout": 2})
    assert result.failed
    assert "PENDING_VALIDATION" in result.msg
    assert "delegated" in result.msg
    assert result["certificate_arn"] in certificates(client, domain)

    no_wait = request(emulator, zone_id, domain, module_args={"wait": False})
    assert not no_wait.failed, no_wait.msg
    assert not no_wait.changed
    assert no_wait["status"] == "PENDING_VALIDATION"
