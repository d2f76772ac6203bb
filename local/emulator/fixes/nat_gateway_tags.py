"""EC2: NAT gateway tags report the resource type ``natgateway``.

AWS names the NAT gateway's resource type ``natgateway`` — the value DescribeTags returns in ``ResourceType``,
accepts in the ``resource-type`` filter, and expects in ``TagSpecifications`` (EC2 API Reference,
``TagDescription`` and ``TagSpecification``: "natgateway"). Stock moto reports ``nat-gateway``, so
``amazon.aws.ec2_vpc_nat_gateway`` sees foreign tags and re-tags on every run.
"""

from __future__ import annotations

from moto.ec2 import utils


def apply() -> None:
    # DescribeTags maps an id's prefix to its type through this dict; the id prefix stays "nat-".
    utils.EC2_PREFIX_TO_RESOURCE[utils.EC2_RESOURCE_TO_PREFIX["nat-gateway"]] = "natgateway"
