"""ACM DNS validation: a certificate is ISSUED once its validation CNAMEs are in a public Route 53 zone."""

from __future__ import annotations

import re
from typing import Any

RECORD_NAME = re.compile(r"^_[0-9a-f]{32}\.(?P<domain>[a-z0-9.-]+\.)$")
RECORD_VALUE = re.compile(r"^_[0-9a-f]{32}\.[0-9a-f]{10}\.acm-validations\.aws\.$")


def _zone(client: Any, name: str, *, private: bool = False) -> str:
    route53 = client("route53", "us-east-1")
    args: dict[str, Any] = {"Name": name, "CallerReference": f"{name}-{private}"}
    if private:
        vpc = client("ec2", "us-east-1").create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        args["VPC"] = {"VPCRegion": "us-east-1", "VPCId": vpc}
        args["HostedZoneConfig"] = {"PrivateZone": True}
    return str(route53.create_hosted_zone(**args)["HostedZone"]["Id"])


def _request(client: Any, domain: str, sans: list[str], region: str = "us-east-1", **extra: Any) -> str:
    if sans:  # the API refuses an empty list
        extra["SubjectAlternativeNames"] = sans
    acm = client("acm", region)
    return str(acm.request_certificate(DomainName=domain, ValidationMethod="DNS", **extra)["CertificateArn"])


def _describe(client: Any, arn: str, region: str = "us-east-1") -> dict[str, Any]:
    return dict(client("acm", region).describe_certificate(CertificateArn=arn)["Certificate"])


def _upsert(client: Any, zone_id: str, record: dict[str, str], value: str | None = None) -> None:
    client("route53", "us-east-1").change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": record["Name"],
                        "Type": record["Type"],
                        "TTL": 300,
                        "ResourceRecords": [{"Value": value or record["Value"]}],
                    },
                }
            ]
        },
    )


def test_records_look_like_aws_and_are_stable_per_domain(client, unique) -> None:
    domain = f"{unique}.example.com"
    arn = _request(client, domain, [f"www.{domain}", f"*.{domain}"])
    cert = _describe(client, arn)
    assert cert["Status"] == "PENDING_VALIDATION"
    # The request's order, domain name first, as AWS returns it.
    assert cert["SubjectAlternativeNames"] == [domain, f"www.{domain}", f"*.{domain}"]
    options = cert["DomainValidationOptions"]
    assert [o["DomainName"] for o in options] == [domain, f"www.{domain}", f"*.{domain}"]
    records = {o["DomainName"]: o["ResourceRecord"] for o in options}
    for name, record in records.items():
        match = RECORD_NAME.match(record["Name"])
        assert match, record
        assert match["domain"] == name.removeprefix("*.") + "."
        assert RECORD_VALUE.match(record["Value"]), record
        assert record["Type"] == "CNAME"
    # One record per base name: the wildcard shares the apex's; www has its own.
    assert records[f"*.{domain}"] == records[domain]
    assert records[f"www.{domain}"]["Value"] != records[domain]["Value"]
    assert _describe(client, arn)["DomainValidationOptions"] == options
    # Another certificate for the same name, even in another region, asks for the same record (as AWS does).
    other = _request(client, domain, [], region="eu-west-1")
    assert _describe(client, other, "eu-west-1")["DomainValidationOptions"][0]["ResourceRecord"] == records[domain]


def test_issued_only_once_every_record_is_in_the_zone(client, unique) -> None:
    domain = f"{unique}.example.org"
    zone_id = _zone(client, domain)
    arn = _request(client, domain, [f"api.{domain}"])
    options = _describe(client, arn)["DomainValidationOptions"]
    assert {o["ValidationStatus"] for o in options} == {"PENDING_VALIDATION"}
    assert "IssuedAt" not in _describe(client, arn)

    _upsert(client, zone_id, options[0]["ResourceRecord"])
    cert = _describe(client, arn)
    assert cert["Status"] == "PENDING_VALIDATION"
    assert [o["ValidationStatus"] for o in cert["DomainValidationOptions"]] == ["SUCCESS", "PENDING_VALIDATION"]

    _upsert(client, zone_id, options[1]["ResourceRecord"])
    cert = _describe(client, arn)
    assert cert["Status"] == "ISSUED"
    assert {o["ValidationStatus"] for o in cert["DomainValidationOptions"]} == {"SUCCESS"}
    assert "IssuedAt" in cert
    listed = client("acm", "us-east-1").list_certificates(CertificateStatuses=["ISSUED"])["CertificateSummaryList"]
    assert arn in {c["CertificateArn"] for c in listed}


def test_a_wrong_value_or_a_private_zone_does_not_validate(client, unique) -> None:
    domain = f"{unique}.example.net"
    public = _zone(client, domain)
    private = _zone(client, f"internal.{domain}", private=True)
    arn = _request(client, f"internal.{domain}", [])
    record = _describe(client, arn)["DomainValidationOptions"][0]["ResourceRecord"]

    _upsert(client, private, record)
    assert _describe(client, arn)["Status"] == "PENDING_VALIDATION"
    _upsert(client, public, record, value="_0000.elsewhere.example.")
    assert _describe(client, arn)["Status"] == "PENDING_VALIDATION"
    _upsert(client, public, record)
    assert _describe(client, arn)["Status"] == "ISSUED"


def test_idempotency_token_of_a_deleted_certificate_requests_a_new_one(client, unique) -> None:
    domain = f"{unique}.example.com"
    token = unique
    first = _request(client, domain, [], IdempotencyToken=token)
    assert _request(client, domain, [], IdempotencyToken=token) == first
    client("acm", "us-east-1").delete_certificate(CertificateArn=first)
    second = _request(client, domain, [], IdempotencyToken=token)
    assert second != first
    assert _describe(client, second)["Status"] == "PENDING_VALIDATION"
