"""Launch template versions keep UserData; DeleteLaunchTemplateVersions; instances keep the template's
metadata options and root volume."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError
from emulator.fixes.ssm_al2023_ami import PARAMETER


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def subnet(client) -> str:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]


def test_later_versions_keep_user_data_and_asg_launches_them(client, unique, subnet) -> None:
    ec2 = client("ec2")
    data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "UserData": _b64("#!/bin/sh\necho v1\n")}
    lt = ec2.create_launch_template(LaunchTemplateName=unique, LaunchTemplateData=data)["LaunchTemplate"]
    v2 = ec2.create_launch_template_version(
        LaunchTemplateId=lt["LaunchTemplateId"],
        SourceVersion="1",
        LaunchTemplateData={**data, "UserData": _b64("#!/bin/sh\necho v2\n")},
    )["LaunchTemplateVersion"]
    assert v2["VersionNumber"] == 2
    described = ec2.describe_launch_template_versions(LaunchTemplateId=lt["LaunchTemplateId"], Versions=["2"])
    assert described["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"] == _b64("#!/bin/sh\necho v2\n")
    asg = client("autoscaling")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=unique,
        LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"], "Version": "2"},
        MinSize=1,
        MaxSize=2,
        VPCZoneIdentifier=subnet,
    )
    asg.set_desired_capacity(AutoScalingGroupName=unique, DesiredCapacity=2)
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[unique])["AutoScalingGroups"][0]
    assert len(group["Instances"]) == 2


def test_delete_launch_template_versions(client, unique) -> None:
    ec2 = client("ec2")
    data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
    lt_id = ec2.create_launch_template(LaunchTemplateName=unique, LaunchTemplateData=data)["LaunchTemplate"][
        "LaunchTemplateId"
    ]
    for _ in range(3):
        ec2.create_launch_template_version(LaunchTemplateId=lt_id, LaunchTemplateData=data)
    result = ec2.delete_launch_template_versions(LaunchTemplateId=lt_id, Versions=["2", "3", "1", "9"])
    assert [v["VersionNumber"] for v in result["SuccessfullyDeletedLaunchTemplateVersions"]] == [2, 3]
    failed = {
        v["VersionNumber"]: v["ResponseError"]["Code"] for v in result["UnsuccessfullyDeletedLaunchTemplateVersions"]
    }
    assert failed == {1: "unexpectedError", 9: "launchTemplateVersionDoesNotExist"}
    remaining = ec2.describe_launch_template_versions(LaunchTemplateId=lt_id)["LaunchTemplateVersions"]
    assert sorted(v["VersionNumber"] for v in remaining) == [1, 4]
    # Numbers are never reused.
    new = ec2.create_launch_template_version(LaunchTemplateId=lt_id, LaunchTemplateData=data)
    assert new["LaunchTemplateVersion"]["VersionNumber"] == 5
    with pytest.raises(ClientError):
        ec2.describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=["2"])


def test_template_tags_stay_out_of_the_version_data(client, unique) -> None:
    ec2 = client("ec2")
    volume_tags = {"ResourceType": "volume", "Tags": [{"Key": "Colour", "Value": "blue"}]}
    data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "TagSpecifications": [volume_tags]}
    ec2.create_launch_template(
        LaunchTemplateName=unique,
        LaunchTemplateData=data,
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "AppVersion", "Value": "1"}]}],
    )
    [version] = ec2.describe_launch_template_versions(LaunchTemplateName=unique)["LaunchTemplateVersions"]
    assert version["LaunchTemplateData"]["TagSpecifications"] == [volume_tags]
    [template] = ec2.describe_launch_templates(LaunchTemplateNames=[unique])["LaunchTemplates"]
    assert template["Tags"] == [{"Key": "AppVersion", "Value": "1"}]


def test_template_tags_changed_later_are_described(client, unique) -> None:
    ec2 = client("ec2")
    created = ec2.create_launch_template(
        LaunchTemplateName=unique,
        LaunchTemplateData={"ImageId": "ami-12c6146b"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "AppVersion", "Value": "1"}]}],
    )["LaunchTemplate"]
    ec2.create_tags(Resources=[created["LaunchTemplateId"]], Tags=[{"Key": "AppVersion", "Value": "2"}])
    [template] = ec2.describe_launch_templates(LaunchTemplateNames=[unique])["LaunchTemplates"]
    assert template["Tags"] == [{"Key": "AppVersion", "Value": "2"}]


@pytest.fixture
def al2023_template(client, unique) -> str:
    """A template like the compute role's: IMDSv2 within one hop, an encrypted gp3 root on the AMI's root device."""
    ec2 = client("ec2")
    image = client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    root = ec2.describe_images(ImageIds=[image])["Images"][0]["RootDeviceName"]
    assert root == "/dev/xvda"
    data = {
        "ImageId": image,
        "InstanceType": "t3.small",
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"},
        "BlockDeviceMappings": [
            {"DeviceName": root, "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "Encrypted": True}},
        ],
    }
    return ec2.create_launch_template(LaunchTemplateName=unique, LaunchTemplateData=data)["LaunchTemplate"][
        "LaunchTemplateId"
    ]


def _launched_by_group(client, unique: str, template_id: str, subnet: str) -> list[dict]:
    asg = client("autoscaling")
    asg.create_auto_scaling_group(
        AutoScalingGroupName=unique,
        LaunchTemplate={"LaunchTemplateId": template_id, "Version": "$Latest"},
        MinSize=1,
        MaxSize=1,
        VPCZoneIdentifier=subnet,
    )
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[unique])["AutoScalingGroups"][0]
    ids = [i["InstanceId"] for i in group["Instances"]]
    return client("ec2").describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"]


def _launched_directly(client, _unique: str, template_id: str, subnet: str) -> list[dict]:
    return client("ec2").run_instances(
        LaunchTemplate={"LaunchTemplateId": template_id}, MinCount=1, MaxCount=1, SubnetId=subnet
    )["Instances"]


@pytest.mark.parametrize("launch", [_launched_by_group, _launched_directly])
def test_instances_keep_the_templates_metadata_options(client, unique, subnet, al2023_template, launch) -> None:
    (instance,) = launch(client, unique, al2023_template, subnet)
    options = client("ec2").describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0][
        "MetadataOptions"
    ]
    assert (options["HttpTokens"], options["HttpPutResponseHopLimit"], options["HttpEndpoint"]) == (
        "required",
        1,
        "enabled",
    )


@pytest.mark.parametrize("launch", [_launched_by_group, _launched_directly])
def test_the_templates_root_mapping_replaces_the_amis_root_volume(
    client, unique, subnet, al2023_template, launch
) -> None:
    ec2 = client("ec2")
    (instance,) = launch(client, unique, al2023_template, subnet)
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert [m["DeviceName"] for m in described["BlockDeviceMappings"]] == ["/dev/xvda"]
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}])
    assert [(v["Size"], v["VolumeType"], v["Encrypted"]) for v in volumes["Volumes"]] == [(20, "gp3", True)]


def test_an_instance_without_a_mapping_gets_its_root_volume_on_the_amis_root_device(client, subnet) -> None:
    ec2 = client("ec2")
    image = client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    (instance,) = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"]
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert [m["DeviceName"] for m in described["BlockDeviceMappings"]] == ["/dev/xvda"]
