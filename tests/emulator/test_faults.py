"""The fault switch (/_emulator/faults): one region's API answers AWS errors botocore parses as ClientErrors,
other regions and services are untouched, mutating_only leaves reads working, clearing restores."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from emulator_harness import Emulator

# One attempt: botocore retries 5xx by itself, and these tests check the answer, not the retry policy.
NO_RETRY = Config(retries={"total_max_attempts": 1})


@pytest.fixture
def raw_client(emulator: Emulator) -> Iterator[Callable[..., Any]]:
    def make(service: str, region: str) -> Any:
        return emulator.client(service, region, NO_RETRY)

    yield make
    emulator.clear_faults()


# (client, region, a read call) across the protocols: EC2, query, JSON, REST-XML (S3 and the others).
READS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("ec2", "eu-west-1", lambda c: c.describe_vpcs()),
    ("elbv2", "eu-west-1", lambda c: c.describe_load_balancers()),
    ("autoscaling", "eu-west-1", lambda c: c.describe_auto_scaling_groups()),
    ("dynamodb", "eu-west-1", lambda c: c.list_tables()),
    ("acm", "eu-west-1", lambda c: c.list_certificates()),
    ("cloudwatch", "eu-west-1", lambda c: c.describe_alarms()),
    ("logs", "eu-west-1", lambda c: c.describe_log_groups()),
    ("s3", "eu-west-1", lambda c: c.list_buckets()),
    ("route53", "us-east-1", lambda c: c.list_hosted_zones()),
    ("cloudfront", "us-east-1", lambda c: c.list_distributions()),
]


@pytest.mark.parametrize(("service", "region", "call"), READS, ids=[r[0] for r in READS])
def test_a_region_wide_fault_is_a_client_error_in_every_protocol(emulator, raw_client, service, region, call):
    emulator.set_fault(region=region, service="*", status=503, code="ServiceUnavailable")
    with pytest.raises(ClientError) as error:
        call(raw_client(service, region))
    assert error.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert region in error.value.response["Error"]["Message"]
    emulator.clear_faults()
    call(raw_client(service, region))


def test_other_regions_and_services_are_unaffected_and_hits_are_counted(emulator, raw_client):
    emulator.reset_calls()
    emulator.set_fault(region="eu-west-1", service="elbv2", status=500, code="InternalServerError")
    with pytest.raises(ClientError, match="InternalServerError"):
        raw_client("elbv2", "eu-west-1").describe_load_balancers()
    raw_client("elbv2", "us-west-2").describe_load_balancers()
    raw_client("ec2", "eu-west-1").describe_vpcs()
    [fault] = emulator.faults()
    # A boto3 client name is taken for its SigV4 signing name, the name the credential scope carries.
    assert (fault["service"], fault["status"], fault["hits"]) == ("elasticloadbalancing", 500, 1)
    # The answered request never reached moto, so the call log does not count it.
    services = emulator.calls()["services"]
    assert services["elasticloadbalancing"]["total"] == 1 and services["ec2"]["total"] == 1


def test_mutating_only_keeps_reads_working(emulator, raw_client, unique):
    emulator.set_fault(region="eu-west-1", mutating_only=True, status=500, code="InternalServerError")
    ec2 = raw_client("ec2", "eu-west-1")
    # A read with a form body: the switch reads the body for the action and hands it on intact.
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [unique]}])["Vpcs"]
    assert vpcs == []
    with pytest.raises(ClientError, match="InternalServerError"):
        ec2.create_vpc(CidrBlock="10.99.0.0/16")
    dynamodb = raw_client("dynamodb", "eu-west-1")
    dynamodb.list_tables()
    with pytest.raises(ClientError, match="InternalServerError"):
        dynamodb.create_table(
            TableName=unique,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    s3 = raw_client("s3", "eu-west-1")
    s3.list_buckets()
    with pytest.raises(ClientError, match="InternalServerError"):
        s3.create_bucket(Bucket=unique, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    emulator.clear_faults()
    assert emulator.faults() == []
    assert raw_client("ec2", "eu-west-1").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [unique]}])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"service": "ec2"}, "region"),
        ({"region": "eu-west-1", "status": 200}, "status"),
        ({"region": "eu-west-1", "code": "no spaces allowed"}, "code"),
        ({"region": "eu-west-1", "mutating_only": "yes"}, "mutating_only"),
        ({"region": "eu-west-1", "colour": "red"}, "unknown fault fields: colour"),
    ],
)
def test_a_bad_fault_is_refused_naming_the_field(emulator, spec, message):
    req = urllib.request.Request(f"{emulator.url}/_emulator/faults", data=json.dumps(spec).encode(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(req, timeout=5)
    assert error.value.code == 400
    assert message in json.load(error.value)["error"]
    assert emulator.faults() == []
