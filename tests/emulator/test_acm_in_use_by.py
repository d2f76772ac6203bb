"""ACM InUseBy follows the ELBv2 listeners that hold a certificate, and DeleteCertificate respects it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REGION = "eu-west-1"


def _imported(client: Any) -> str:
    """A certificate to attach: imported, since a requested one would wait for DNS validation."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "in-use.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return str(
        client("acm", REGION).import_certificate(
            Certificate=cert.public_bytes(serialization.Encoding.PEM),
            PrivateKey=key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )["CertificateArn"]
    )


def _alb(client: Any, unique: str) -> tuple[str, str]:
    ec2 = client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]
        for i, az in enumerate("ab")
    ]
    elb = client("elbv2", REGION)
    lb = elb.create_load_balancer(Name=unique, Subnets=[s["SubnetId"] for s in subnets], Type="application")[
        "LoadBalancers"
    ][0]
    tg = elb.create_target_group(Name=unique, Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    return lb["LoadBalancerArn"], tg["TargetGroupArn"]


def _users(client: Any, arn: str) -> list[str]:
    return list(client("acm", REGION).describe_certificate(CertificateArn=arn)["Certificate"].get("InUseBy", []))


def test_in_use_by_follows_the_listener_and_its_load_balancer(client, unique) -> None:
    first, second = _imported(client), _imported(client)
    lb_arn, tg_arn = _alb(client, unique)
    elb = client("elbv2", REGION)
    listener = elb.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": first}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )["Listeners"][0]["ListenerArn"]
    assert _users(client, first) == [lb_arn]

    with pytest.raises(ClientError) as refused:
        client("acm", REGION).delete_certificate(CertificateArn=first)
    assert refused.value.response["Error"]["Code"] == "ResourceInUseException"

    elb.modify_listener(ListenerArn=listener, Certificates=[{"CertificateArn": second}])
    assert (_users(client, first), _users(client, second)) == ([], [lb_arn])

    elb.delete_load_balancer(LoadBalancerArn=lb_arn)
    assert _users(client, second) == []
    client("acm", REGION).delete_certificate(CertificateArn=second)
    client("acm", REGION).delete_certificate(CertificateArn=first)
    arns = [c["CertificateArn"] for c in client("acm", REGION).list_certificates()["CertificateSummaryList"]]
    assert first not in arns and second not in arns
