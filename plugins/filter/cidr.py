"""Filters for carving a VPC into subnets and checking CIDR plans, with only the standard library."""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: subnet_cidrs
short_description: The CIDR blocks of consecutive subnets inside a network
description:
  - Splits O(_input) into subnets C(newbits) longer and returns C(count) of them starting at C(offset).
  - Also provides C(overlapping_cidrs), which returns the pairs of networks in a list that overlap.
options:
  _input: {description: The network, for example 10.10.0.0/16., type: str, required: true}
  count: {description: How many subnets to return., type: int, required: true}
  newbits: {description: How many bits longer than the network's prefix each subnet is., type: int, default: 4}
  offset: {description: Index of the first subnet returned., type: int, default: 0}
"""


def _network(cidr: Any) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(str(cidr), strict=True)
    except ValueError as exc:
        raise AnsibleFilterError(f"{cidr!r} is not an IPv4 network in CIDR notation: {exc}") from exc


def subnet_cidrs(cidr: str, count: int, newbits: int = 4, offset: int = 0) -> list[str]:
    network = _network(cidr)
    new_prefix = network.prefixlen + int(newbits)
    if new_prefix > 28:
        raise AnsibleFilterError(f"{cidr} split by {newbits} bits gives /{new_prefix}; AWS subnets stop at /28")
    available = 2 ** int(newbits)
    if int(offset) + int(count) > available:
        raise AnsibleFilterError(f"{cidr} has only {available} subnets of /{new_prefix}; asked for {offset}+{count}")
    subnets = network.subnets(new_prefix=new_prefix)
    return [str(s) for i, s in enumerate(subnets) if offset <= i < offset + count]


def cidr_error(value: Any, min_prefix: int = 16, max_prefix: int = 22) -> str:
    """Why a VPC range is unusable, or an empty string when it is fine (AWS allows /16 to /28 for a VPC;
    the narrower bound leaves room for six subnets of at least /26)."""
    try:
        network = ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as exc:
        return f"{value!r} is not an IPv4 network in CIDR notation ({exc})"
    if not min_prefix <= network.prefixlen <= max_prefix:
        return f"{value} has prefix /{network.prefixlen}; allowed are /{min_prefix} to /{max_prefix}"
    if not network.is_private:
        return f"{value} is not a private (RFC 1918) range"
    return ""


def overlapping_cidrs(named: dict[str, str]) -> list[list[str]]:
    """Pairs of names whose networks overlap, for example two regions given the same VPC range."""
    items = sorted((name, _network(cidr)) for name, cidr in named.items())
    return [
        [a_name, b_name]
        for i, (a_name, a_net) in enumerate(items)
        for b_name, b_net in items[i + 1 :]
        if a_net.overlaps(b_net)
    ]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"subnet_cidrs": subnet_cidrs, "overlapping_cidrs": overlapping_cidrs, "cidr_error": cidr_error}
