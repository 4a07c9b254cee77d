"""aws-baseline: no security group ingress from the internet except allowed ports."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze, violations

add_pack_to_path("aws-baseline")
from aws_baseline import security_groups  # noqa: E402

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
POLICY = "sg-no-public-ingress"
ALLOW_443 = {POLICY: {"allowedPublicPorts": [443]}}


def run(type_: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> list[Finding]:
    return analyze(security_groups.POLICIES, Res(type_, props, name="lb"), config)


def messages(type_: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    return [f.message for f in violations(run(type_, props, config), POLICY)]


def ingress(cidrs: list[str], protocol: str = "tcp", ports: tuple[int, int] = (443, 443)) -> dict[str, Any]:
    return {"protocol": protocol, "fromPort": ports[0], "toPort": ports[1], "cidrBlocks": cidrs}


def group(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"description": "load balancer", "vpcId": UNKNOWN, "ingress": list(rules)}


def test_private_sources_pass() -> None:
    props = group(ingress(["10.0.0.0/16"], ports=(22, 22)), {**ingress([]), "securityGroups": [UNKNOWN]})
    assert messages(SECURITY_GROUP, props) == []


def test_public_https_fails_by_default_and_passes_when_configured() -> None:
    props = group(ingress(["0.0.0.0/0"]))
    [message] = messages(SECURITY_GROUP, props)
    assert "ingress[0].cidrBlocks[0] 0.0.0.0/0 allows tcp port 443 from the internet" in message
    assert messages(SECURITY_GROUP, props, ALLOW_443) == []


def test_public_ssh_fails_even_with_443_allowed() -> None:
    props = group(ingress(["10.0.0.0/8"]), ingress(["0.0.0.0/0"], ports=(22, 22)))
    [message] = messages(SECURITY_GROUP, props, ALLOW_443)
    assert "\ningress[1].cidrBlocks[0] 0.0.0.0/0 allows tcp port 22" in message


def test_ipv6_world_is_caught() -> None:
    rule = {"protocol": "tcp", "fromPort": 80, "toPort": 80, "ipv6CidrBlocks": ["::/0"]}
    [message] = messages(SECURITY_GROUP, group(rule), ALLOW_443)
    assert "ingress[0].ipv6CidrBlocks[0] ::/0 allows tcp port 80" in message


def test_port_range_covering_an_allowed_port_still_fails() -> None:
    [message] = messages(SECURITY_GROUP, group(ingress(["0.0.0.0/0"], ports=(0, 65535))), ALLOW_443)
    assert "tcp ports 0-65535" in message


@pytest.mark.parametrize("protocol", ["-1", "all"])
def test_all_protocols_are_never_allowed(protocol: str) -> None:
    [message] = messages(SECURITY_GROUP, group(ingress(["0.0.0.0/0"], protocol, (0, 0))), ALLOW_443)
    assert "all protocols and ports" in message


def test_icmp_from_the_internet_fails() -> None:
    [message] = messages(SECURITY_GROUP, group(ingress(["0.0.0.0/0"], "icmp", (-1, -1))), ALLOW_443)
    assert "protocol icmp" in message


def test_security_group_rule_of_type_ingress_is_checked_and_egress_is_not() -> None:
    rule = {**ingress(["0.0.0.0/0"], ports=(22, 22)), "type": "ingress", "securityGroupId": UNKNOWN}
    [message] = messages(SECURITY_GROUP_RULE, rule)
    assert "\ncidrBlocks[0] 0.0.0.0/0 allows tcp port 22" in message
    assert messages(SECURITY_GROUP_RULE, {**rule, "type": "egress"}) == []


def test_vpc_ingress_rule_all_protocols_fails() -> None:
    rule = {"securityGroupId": UNKNOWN, "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"}
    [message] = messages(INGRESS_RULE, rule, ALLOW_443)
    assert "\ncidrIpv4 0.0.0.0/0 allows all protocols and ports" in message


def test_vpc_ingress_rule_on_allowed_port_passes() -> None:
    rule = {"securityGroupId": UNKNOWN, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}
    rule["cidrIpv6"] = "::/0"
    assert messages(INGRESS_RULE, rule, ALLOW_443) == []
    [message] = messages(INGRESS_RULE, rule)
    assert "\ncidrIpv6 ::/0 allows tcp port 443" in message


def test_missing_ingress_passes() -> None:
    assert messages(SECURITY_GROUP, {"description": "closed", "vpcId": "vpc-1"}) == []


def test_default_security_group_is_checked_too() -> None:
    assert messages(DEFAULT_SECURITY_GROUP, {"vpcId": UNKNOWN, "ingress": [], "egress": []}) == []
    [message] = messages(
        DEFAULT_SECURITY_GROUP, {"vpcId": UNKNOWN, "ingress": [ingress(["0.0.0.0/0"], "-1", (0, 0))]}
    )
    assert "\ningress[0].cidrBlocks[0] 0.0.0.0/0 allows all protocols and ports" in message


def test_unknown_cidr_is_reported_as_not_runnable() -> None:
    findings = run(SECURITY_GROUP, group(ingress([UNKNOWN], ports=(22, 22))))
    assert violations(findings, POLICY) == []
    assert [f.level for f in findings] == ["advisory"]


def test_invalid_allowed_ports_config_fails_loudly() -> None:
    with pytest.raises(ValueError, match="allowedPublicPorts"):
        run(SECURITY_GROUP, group(ingress(["10.0.0.0/8"])), {POLICY: {"allowedPublicPorts": [70000]}})
