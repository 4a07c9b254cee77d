"""How a VPC's address space is cut into subnets: pure arithmetic, shared by config and network.

Layout, for a VPC /p spread over n availability zones (b = bits to number n zones):

- the first half of the VPC holds the private subnets, /(p+1+b) each: nodes and pods live here,
  and the VPC CNI gives every pod a VPC address, so they get the room;
- the second half starts with the public subnets, /(p+4+b) each: only load balancers and NAT
  gateways live there;
- the rest of the second half stays free for later subnets (e.g. databases or pod secondary CIDRs).

A /16 over three zones gives private /19s (8,187 usable addresses) and public /22s.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

MIN_ZONES = 2  # EKS needs subnets in at least two availability zones
MAX_ZONES = 6
VPC_PREFIX_RANGE = (16, 28)  # what AWS accepts for a VPC's primary IPv4 block
SMALLEST_SUBNET_PREFIX = 28  # AWS's smallest subnet


class SubnetPlanError(ValueError):
    """The VPC block cannot hold the subnets for that many zones."""


@dataclass(frozen=True)
class SubnetPlan:
    """The CIDR blocks of each zone's subnets, in zone order."""

    private: tuple[str, ...]
    public: tuple[str, ...]


def largest_vpc_prefix(zones: int) -> int:
    """The smallest VPC (largest prefix length) that still fits `zones` zones."""
    return SMALLEST_SUBNET_PREFIX - 4 - _zone_bits(zones)


def plan_subnets(vpc_cidr: str, zones: int) -> SubnetPlan:
    """Cut `vpc_cidr` into one private and one public subnet per zone."""
    if not MIN_ZONES <= zones <= MAX_ZONES:
        raise SubnetPlanError(f"needs {MIN_ZONES} to {MAX_ZONES} availability zones, got {zones}")
    vpc = ipaddress.ip_network(vpc_cidr, strict=True)
    if not isinstance(vpc, ipaddress.IPv4Network):
        raise SubnetPlanError(f"{vpc_cidr} is not an IPv4 block")
    low, high = VPC_PREFIX_RANGE
    if not low <= vpc.prefixlen <= high:
        raise SubnetPlanError(f"AWS accepts VPC blocks from /{low} to /{high}, got /{vpc.prefixlen}")
    bits = _zone_bits(zones)
    if vpc.prefixlen > largest_vpc_prefix(zones):
        public_prefix = vpc.prefixlen + 4 + bits
        raise SubnetPlanError(
            f"{vpc_cidr} is too small for {zones} zones: public subnets would be /{public_prefix} and "
            f"AWS's smallest subnet is /{SMALLEST_SUBNET_PREFIX}; use /{largest_vpc_prefix(zones)} "
            "or larger"
        )
    private_half, public_half = vpc.subnets(prefixlen_diff=1)
    private = list(private_half.subnets(prefixlen_diff=bits))[:zones]
    public = list(public_half.subnets(prefixlen_diff=3 + bits))[:zones]
    return SubnetPlan(tuple(str(n) for n in private), tuple(str(n) for n in public))


def _zone_bits(zones: int) -> int:
    return max(1, math.ceil(math.log2(zones)))
