"""What the emulator's control plane says should run: instances with their user data, and ALB weights."""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

# States in which an instance is up as far as the data plane is concerned: booting, serving, or draining
# (its bootstrap completes the terminating hook itself, then exits).
RUNNING_STATES = frozenset(
    {"Pending", "Pending:Wait", "Pending:Proceed", "InService", "Terminating", "Terminating:Wait"}
)
_CLIENT_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=10)


@dataclass(frozen=True)
class Instance:
    instance_id: str
    aws_region: str
    availability_zone: str
    lifecycle_state: str
    group: str
    template_id: str
    template_version: str

    @property
    def target_lifecycle_state(self) -> str:
        """What IMDS autoscaling/target-lifecycle-state reports: where Auto Scaling is taking it."""
        return "Terminated" if self.lifecycle_state.startswith("Terminat") else "InService"


@dataclass(frozen=True)
class TargetGroup:
    name: str
    weight: int
    instance_ids: tuple[str, ...]


class Cloud:
    """Reads the emulator with throw-away credentials; never writes."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}
        self._user_data: dict[tuple[str, str, str], dict[str, str]] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=_CLIENT_CONFIG,
            )
        return self._clients[key]

    def instances(self, region: str) -> list[Instance]:
        found = []
        pages = self.client("autoscaling", region).get_paginator("describe_auto_scaling_groups").paginate()
        for page in pages:
            for group in page["AutoScalingGroups"]:
                for inst in group.get("Instances", []):
                    template = inst.get("LaunchTemplate") or group.get("LaunchTemplate") or {}
                    found.append(
                        Instance(
                            instance_id=inst["InstanceId"],
                            aws_region=region,
                            availability_zone=inst.get("AvailabilityZone", f"{region}a"),
                            lifecycle_state=inst["LifecycleState"],
                            group=group["AutoScalingGroupName"],
                            template_id=template.get("LaunchTemplateId", ""),
                            template_version=str(template.get("Version", "$Default")),
                        )
                    )
        return found

    def user_data_environment(self, instance: Instance) -> dict[str, str]:
        """The variables the instance's user data exports (`export NAME=value` lines), as EC2 would run it."""
        key = (instance.aws_region, instance.template_id, instance.template_version)
        if key not in self._user_data:
            ec2 = self.client("ec2", instance.aws_region)
            [version] = ec2.describe_launch_template_versions(
                LaunchTemplateId=instance.template_id, Versions=[instance.template_version]
            )["LaunchTemplateVersions"]
            script = base64.b64decode(version["LaunchTemplateData"].get("UserData", "")).decode()
            self._user_data[key] = parse_exports(script)
        return dict(self._user_data[key])

    def target_groups(self, region: str) -> list[TargetGroup] | None:
        """The weighted forward of the region's HTTPS listener with each group's registered instances;
        None when the region has no load balancer yet."""
        elb = self.client("elbv2", region)
        balancers = elb.describe_load_balancers().get("LoadBalancers", [])
        if not balancers:
            return None
        listeners = elb.describe_listeners(LoadBalancerArn=balancers[0]["LoadBalancerArn"])["Listeners"]
        forward = next(
            (
                action
                for listener in sorted(listeners, key=lambda li: li["Port"] != 443)
                for action in listener.get("DefaultActions", [])
                if action.get("Type") == "forward"
            ),
            None,
        )
        if forward is None:
            return []
        tuples = forward.get("ForwardConfig", {}).get("TargetGroups") or [
            {"TargetGroupArn": forward["TargetGroupArn"], "Weight": 1}
        ]
        groups = []
        for entry in tuples:
            arn = entry["TargetGroupArn"]
            health = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            groups.append(
                TargetGroup(
                    name=arn.split(":targetgroup/")[1].split("/")[0],
                    weight=int(entry.get("Weight", 1)),
                    instance_ids=tuple(sorted(t["Target"]["Id"] for t in health)),
                )
            )
        return groups

    def artifact(self, uri: str, region: str) -> tuple[str, bytes]:
        """(ETag, body) of an s3://bucket/key object."""
        if not uri.startswith("s3://"):
            raise ValueError(f"APP_ARTIFACT_URI must be s3://bucket/key, got {uri!r}")
        bucket, _, key = uri[len("s3://") :].partition("/")
        obj = self.client("s3", region).get_object(Bucket=bucket, Key=key)
        return str(obj["ETag"]).strip('"'), obj["Body"].read()


def parse_exports(script: str) -> dict[str, str]:
    env = {}
    for line in script.splitlines():
        if line.startswith("export ") and "=" in line:
            name, _, raw = line[len("export ") :].partition("=")
            words = shlex.split(raw)
            env[name.strip()] = words[0] if words else ""
    return env
