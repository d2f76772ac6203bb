"""SSM + EC2: the public Amazon Linux 2023 parameter exists in every region and names an AMI that exists there.

AWS publishes ``/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`` as a public parameter in
every region (Amazon Linux 2023 User Guide, "Launching AL2023 using the SSM parameter"), and its value is an
AMI id that DescribeImages/RunInstances accept in that region. moto bundles the parameter and the AMI for most
regions but not all (in 5.2.5: ap-east-2, ap-southeast-6, ap-southeast-7, mx-central-1 have neither). Where the
bundle has it, its AMI id is kept; elsewhere a stable id ``ami-<17 hex of sha256(region)>`` is used, and the
AMI is registered (owner ``amazon``, x86_64, hvm, EBS root) so an Auto Scaling group can launch from it.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from moto.ec2.models.amis import Ami, AmiBackend
from moto.ssm.models import Parameter, ParameterDict
from moto.utilities.utils import load_resource

PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
AMAZON_OWNER_ID = "137112412989"


@functools.cache
def _bundled(region: str) -> str | None:
    try:
        params: list[dict[str, Any]] = load_resource(f"ssm/resources/ami-amazon-linux-latest/{region}.json")
    except FileNotFoundError:
        return None
    return next((p["Value"] for p in params if p["Name"] == PARAMETER), None)


def al2023_ami_id(region: str) -> str:
    """The AMI id the parameter names in ``region``: moto's bundled one, else a stable generated id."""
    return _bundled(region) or "ami-" + hashlib.sha256(f"al2023:{region}".encode()).hexdigest()[:17]


def apply() -> None:
    original_load_params = ParameterDict._load_latest_amis

    def _load_latest_amis(self: ParameterDict) -> None:
        original_load_params(self)
        if not dict.get(self, PARAMETER):
            # The base defaultdict, not ParameterDict.__getitem__, which would re-enter this loader.
            defaultdict.__getitem__(self, PARAMETER).append(
                Parameter(  # type: ignore[abstract]  # moto's own loader builds it the same way
                    account_id=self.account_id,
                    name=PARAMETER,
                    value=al2023_ami_id(self.region_name),
                    parameter_type="String",
                    description=None,
                    allowed_pattern=None,
                    keyid=None,
                    last_modified_date=datetime(2025, 1, 1, tzinfo=UTC),
                    version=1,
                    data_type="aws:ec2:image",
                )
            )

    ParameterDict._load_latest_amis = _load_latest_amis  # type: ignore[method-assign]

    original_load_amis = AmiBackend._load_amis

    def _load_amis(self: AmiBackend) -> None:
        original_load_amis(self)
        region: str = self.region_name  # type: ignore[attr-defined]
        ami_id = al2023_ami_id(region)
        if ami_id not in self.amis:
            self.amis[ami_id] = Ami(
                self,
                ami_id,
                name="al2023-ami-2023.6.20250101.0-kernel-6.1-x86_64",
                description="Amazon Linux 2023 AMI 2023.6.20250101.0 x86_64 HVM kernel-6.1",
                owner_id=AMAZON_OWNER_ID,
                owner_alias="amazon",
                public=True,
                virtualization_type="hvm",
                architecture="x86_64",
                root_device_type="ebs",
                root_device_name="/dev/xvda",
                region_name=region,
                boot_mode="uefi-preferred",
            )

    AmiBackend._load_amis = _load_amis  # type: ignore[method-assign]
