"""DynamoDB TableId, NAT gateway tag type, managed prefix lists, the AL2023 SSM parameter, ACM chains."""

from __future__ import annotations

import datetime
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from emulator.fixes.ssm_al2023_ami import PARAMETER


def _table(client, name: str, region: str = "us-west-2") -> dict:
    return client("dynamodb", region).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]


def test_table_id_is_a_stable_uuid(client, unique) -> None:
    ddb = client("dynamodb")
    created = _table(client, unique)
    table_id = created["TableId"]
    assert uuid.UUID(table_id)
    assert ddb.describe_table(TableName=unique)["Table"]["TableId"] == table_id
    updated = ddb.update_table(TableName=unique, DeletionProtectionEnabled=False)
    assert updated["TableDescription"]["TableId"] == table_id
    assert ddb.delete_table(TableName=unique)["TableDescription"]["TableId"] == table_id
    assert _table(client, unique)["TableId"] != table_id


def test_nat_gateway_tags_report_natgateway(client) -> None:
    ec2 = client("ec2", "eu-west-1")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(
        SubnetId=subnet,
        AllocationId=eip,
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "nat-a"}]}],
    )["NatGateway"]["NatGatewayId"]
    by_id = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [nat]}])["Tags"]
    assert by_id == [{"Key": "Name", "ResourceId": nat, "ResourceType": "natgateway", "Value": "nat-a"}]
    by_type = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["natgateway"]}])["Tags"]
    assert nat in {t["ResourceId"] for t in by_type}
    described = ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]
    assert described["Tags"] == [{"Key": "Name", "Value": "nat-a"}]


@pytest.mark.parametrize("region", ["us-west-2", "eu-west-1", "ap-southeast-2", "us-east-1"])
def test_managed_prefix_lists_for_cloudfront_and_route53(client, region: str) -> None:
    ec2 = client("ec2", region)
    expected = {
        "com.amazonaws.global.cloudfront.origin-facing": 55,
        f"com.amazonaws.{region}.route53-healthchecks": 25,
        f"com.amazonaws.{region}.ipv6.route53-healthchecks": 25,
    }
    for name, max_entries in expected.items():
        lists = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])
        [pl] = lists["PrefixLists"]
        assert pl["OwnerId"] == "AWS"
        assert pl["MaxEntries"] == max_entries
        entries = ec2.get_managed_prefix_list_entries(PrefixListId=pl["PrefixListId"])["Entries"]
        assert 0 < len(entries) <= max_entries


def test_prefix_list_usable_in_security_group_rule(client) -> None:
    ec2 = client("ec2", "ap-southeast-2")
    name = "com.amazonaws.ap-southeast-2.route53-healthchecks"
    pl = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])
    pl_id = pl["PrefixLists"][0]["PrefixListId"]
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": pl_id}]}
        ],
    )
    perms = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"]
    assert perms[0]["PrefixListIds"][0]["PrefixListId"] == pl_id


@pytest.mark.parametrize("region", ["us-west-2", "eu-west-1", "ap-southeast-2", "ap-southeast-7", "mx-central-1"])
def test_al2023_parameter_names_an_existing_ami(client, region: str) -> None:
    ami = client("ssm", region).get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    [image] = client("ec2", region).describe_images(ImageIds=[ami])["Images"]
    assert image["Architecture"] == "x86_64"


def test_asg_launches_from_the_al2023_parameter(client, unique) -> None:
    region = "ap-southeast-7"
    ami = client("ssm", region).get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_launch_template(
        LaunchTemplateName=unique, LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"}
    )
    asg = client("autoscaling", region)
    asg.create_auto_scaling_group(
        AutoScalingGroupName=unique,
        LaunchTemplate={"LaunchTemplateName": unique, "Version": "$Latest"},
        MinSize=1,
        MaxSize=1,
        VPCZoneIdentifier=subnet,
    )
    [instance] = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[unique])["AutoScalingGroups"][0]["Instances"]
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])
    assert described["Reservations"][0]["Instances"][0]["ImageId"] == ami


def _pem_chain() -> tuple[bytes, bytes, bytes]:
    now = datetime.datetime.now(datetime.UTC)

    def cert(subject: str, issuer: str, key, signer) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
        )
        if subject == issuer:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        else:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("Example Test CA", "Example Test CA", ca_key, ca_key)
    leaf = cert("app.example.test", "Example Test CA", leaf_key, ca_key)
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return leaf.public_bytes(serialization.Encoding.PEM), key_pem, ca.public_bytes(serialization.Encoding.PEM)


def test_acm_returns_the_imported_chain_unchanged(client) -> None:
    acm = client("acm", "us-east-1")
    cert, key, chain = _pem_chain()
    arn = acm.import_certificate(Certificate=cert, PrivateKey=key, CertificateChain=chain)["CertificateArn"]
    got = acm.get_certificate(CertificateArn=arn)
    assert got["CertificateChain"] == chain.decode()
    assert got["Certificate"] == cert.decode()
    # Re-import onto the same ARN, as community.aws.acm_certificate does: still exactly what was sent.
    acm.import_certificate(CertificateArn=arn, Certificate=cert, PrivateKey=key, CertificateChain=chain)
    assert acm.get_certificate(CertificateArn=arn)["CertificateChain"] == chain.decode()


def test_acm_without_chain_returns_none(client) -> None:
    acm = client("acm", "us-east-1")
    cert, key, _ = _pem_chain()
    arn = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    assert "CertificateChain" not in acm.get_certificate(CertificateArn=arn)


def test_alb_reports_every_default_attribute(client, unique) -> None:
    ec2 = client("ec2", "ap-southeast-2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"ap-southeast-2{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    elb = client("elbv2", "ap-southeast-2")
    arn = elb.create_load_balancer(Name=unique[:32], Subnets=subnets, Type="application")["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attrs["access_logs.s3.enabled"] == "false"
    assert attrs["idle_timeout.timeout_seconds"] == "60"
    assert attrs["routing.http2.enabled"] == "true"
    assert attrs["load_balancing.cross_zone.enabled"] == "true"
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "120"}]
    )
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attrs["idle_timeout.timeout_seconds"] == "120"
    assert attrs["access_logs.s3.enabled"] == "false"
