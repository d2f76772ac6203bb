"""EC2: the AWS-managed prefix lists for CloudFront and Route 53 health checks, as AWS publishes them.

AWS owns (owner id ``AWS``) ``com.amazonaws.global.cloudfront.origin-facing`` (MaxEntries/weight 55) and
``com.amazonaws.<region>.route53-healthchecks`` (weight 25) plus ``com.amazonaws.<region>.ipv6.route53-healthchecks``
in every commercial region — VPC User Guide, "AWS-managed prefix lists" (table of available lists and weights).
Stock moto ships the CloudFront list without MaxEntries and has no Route 53 health-check lists. The lists are
visible through DescribeManagedPrefixLists / GetManagedPrefixListEntries and usable as ``PrefixListId`` in
security group rules. Entries are a plausible subset of the published ranges, not the full list.
"""

from __future__ import annotations

from moto.ec2.models.managed_prefixes import ManagedPrefixListBackend

CLOUDFRONT = "com.amazonaws.global.cloudfront.origin-facing"
WEIGHTS = {CLOUDFRONT: 55, "route53-healthchecks": 25, "ipv6.route53-healthchecks": 25}

# A sample of the ROUTE53_HEALTHCHECKS ranges in https://ip-ranges.amazonaws.com/ip-ranges.json.
ROUTE53_HEALTHCHECKS_V4 = (
    "15.177.0.0/18",
    "54.183.255.128/26",
    "54.228.16.0/26",
    "54.232.40.64/26",
    "54.241.32.64/26",
    "54.243.31.192/26",
    "54.244.52.192/26",
    "54.245.168.0/26",
    "54.248.220.0/26",
    "54.250.253.192/26",
    "54.251.31.128/26",
    "54.252.79.128/26",
    "54.252.254.192/26",
    "54.255.254.192/26",
    "107.23.255.0/26",
    "176.34.159.192/26",
    "177.71.207.128/26",
)
ROUTE53_HEALTHCHECKS_V6 = (
    "2600:1f1c:7ff:f800::/53",
    "2a05:d018:fff:f800::/53",
    "2600:1f1e:7ff:f800::/53",
    "2600:1f1f:7ff:f800::/53",
    "2600:1f18:7fff:f800::/53",
    "2406:da14:7ff:f800::/53",
    "2406:da18:7ff:f800::/53",
    "2406:da1c:7ff:f800::/53",
    "2a05:d01c:fff:f800::/53",
    "2600:1f14:7ff:f800::/53",
    "2600:1f14:fff:f800::/53",
)


def _entries(cidrs: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"Cidr": cidr, "Description": "default"} for cidr in cidrs]


def add_missing_lists(self: ManagedPrefixListBackend) -> None:
    region: str = self.region_name  # type: ignore[attr-defined]
    names = {pl.prefix_list_name for pl in self.managed_prefix_lists.values()}
    if f"com.amazonaws.{region}.route53-healthchecks" not in names:
        self._create_aws_managed_prefix_list(
            f"com.amazonaws.{region}.route53-healthchecks", "IPv4", _entries(ROUTE53_HEALTHCHECKS_V4)
        )
    if f"com.amazonaws.{region}.ipv6.route53-healthchecks" not in names:
        self._create_aws_managed_prefix_list(
            f"com.amazonaws.{region}.ipv6.route53-healthchecks", "IPv6", _entries(ROUTE53_HEALTHCHECKS_V6)
        )
    for pl in self.managed_prefix_lists.values():
        name = pl.prefix_list_name or ""
        for suffix, weight in WEIGHTS.items():
            if pl.owner_id == "AWS" and (name == suffix or name.endswith(f".{region}.{suffix}")):
                pl.max_entries = str(weight)


def apply() -> None:
    original = ManagedPrefixListBackend.create_default_pls

    def patched(self: ManagedPrefixListBackend) -> None:
        original(self)
        add_missing_lists(self)

    ManagedPrefixListBackend.create_default_pls = patched  # type: ignore[method-assign]
