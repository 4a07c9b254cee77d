"""Security group ingress open to the internet (0.0.0.0/0, ::/0).

Covers the three ways to write an ingress rule: inline `ingress` blocks of
`aws:ec2/securityGroup:SecurityGroup` (and of the VPC's `aws:ec2/defaultSecurityGroup:DefaultSecurityGroup`),
`aws:ec2/securityGroupRule:SecurityGroupRule` of type ingress, and
`aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule`. Ports listed in the
config `allowedPublicPorts` (default: none) may be public; all protocols ("-1") never may, and
neither may ICMP or other port-less protocols.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .meta import AwsResourcePolicy, Config
from .util import as_list, as_number, config_ports, get, is_world_open

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

_ALL_PROTOCOLS = {"-1", "all"}
_PORT_PROTOCOLS = {"tcp", "udp", "6", "17"}


def _open_sources(rule: Mapping[str, Any], fields: tuple[str, ...], prefix: str) -> list[str]:
    """Field paths (with values) of the internet-wide sources of one rule."""
    found = []
    for field in fields:
        value = get(rule, field)
        if isinstance(value, str):
            if is_world_open(value):
                found.append(f"{prefix}{field} {value}")
            continue
        for index, cidr in enumerate(as_list(value)):
            if is_world_open(cidr):
                found.append(f"{prefix}{field}[{index}] {cidr}")
    return found


def _problem(rule: Mapping[str, Any], protocol_field: str, allowed: frozenset[int]) -> str | None:
    """What the rule exposes beyond the allowed ports, or None if it only exposes allowed ports."""
    protocol = str(get(rule, protocol_field) or "-1").lower()
    if protocol in _ALL_PROTOCOLS:
        return "all protocols and ports"
    if protocol not in _PORT_PROTOCOLS:
        return f"protocol {protocol} (no ports to restrict)"
    low = as_number(get(rule, "fromPort"))
    high = as_number(get(rule, "toPort"))
    first = int(low) if low is not None and low >= 0 else 0
    last = int(high) if high is not None and high >= 0 else 65535
    if all(port in allowed for port in range(first, last + 1)):
        return None
    ports = f"port {first}" if first == last else f"ports {first}-{last}"
    return f"{protocol} {ports}"


def _violations(
    rule: Mapping[str, Any],
    prefix: str,
    fields: tuple[str, ...],
    protocol_field: str,
    allowed: frozenset[int],
) -> Iterator[str]:
    sources = _open_sources(rule, fields, prefix)
    if not sources:
        return
    exposed = _problem(rule, protocol_field, allowed)
    if exposed is not None:
        yield (
            f"{', '.join(sources)} allows {exposed} from the internet. Restrict the source to known "
            "CIDRs, a prefix list or a security group; only ports in allowedPublicPorts may be public."
        )


def check_public_ingress(args: ResourceValidationArgs, cfg: Config) -> Iterator[str]:
    allowed = config_ports(cfg, "allowedPublicPorts")
    props = args.props
    classic = ("cidrBlocks", "ipv6CidrBlocks")
    if args.resource_type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for index, rule in enumerate(as_list(get(props, "ingress"))):
            yield from _violations(rule, f"ingress[{index}].", classic, "protocol", allowed)
    elif args.resource_type == SECURITY_GROUP_RULE:
        if get(props, "type") == "ingress":
            yield from _violations(props, "", classic, "protocol", allowed)
    else:
        yield from _violations(props, "", ("cidrIpv4", "cidrIpv6"), "ipProtocol", allowed)


POLICIES: list[Policy] = [
    AwsResourcePolicy(
        name="sg-no-public-ingress",
        description="No security group admits traffic from 0.0.0.0/0 or ::/0, except on allowed ports.",
        resource_types=[SECURITY_GROUP, DEFAULT_SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE],
        check=check_public_ingress,
        severity=Severity.HIGH,
        nist="SC-7",
        sp800204="C-4.4-3",
        remediation=(
            "Replace 0.0.0.0/0 and ::/0 sources with the CIDRs, prefix lists or security groups that "
            "need access. For an internet-facing load balancer listener, add its port (e.g. 443) to "
            "this policy's allowedPublicPorts config; all-protocol (-1) rules are never allowed."
        ),
        config={
            "allowedPublicPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "default": [],
                "description": "TCP/UDP ports that may be open to 0.0.0.0/0 and ::/0 (e.g. [443]).",
            }
        },
        topics=["ec2", "network"],
    ),
]
