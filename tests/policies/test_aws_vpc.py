"""aws-baseline: every VPC has a flow log (stack policy, paired through the resource graph)."""

from __future__ import annotations

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze_stack, violations

add_pack_to_path("aws-baseline")
from aws_baseline import vpc  # noqa: E402

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
POLICY = "vpc-flow-logs"


def a_vpc(name: str = "main", **props: object) -> Res:
    return Res(VPC, {"cidrBlock": "10.0.0.0/16", **props}, name=name)


def flow_log(
    vpc_id: str,
    dependencies: list[str] | None = None,
    property_dependencies: dict[str, list[str]] | None = None,
) -> Res:
    props = {"vpcId": vpc_id, "trafficType": "ALL", "logDestination": UNKNOWN}
    return Res(
        FLOW_LOG,
        props,
        name="main-flow",
        dependencies=dependencies or [],
        property_dependencies=property_dependencies or {},
    )


def run(*resources: Res) -> list[Finding]:
    return analyze_stack(vpc.POLICIES, resources)


def test_new_stack_flow_log_found_through_property_dependencies() -> None:
    network = a_vpc()
    log = flow_log(UNKNOWN, property_dependencies={"vpcId": [network.urn]}, dependencies=[network.urn])
    assert run(network, log) == []


def test_vpc_without_flow_log_fails_on_the_vpc() -> None:
    network = a_vpc()
    [finding] = violations(run(network), POLICY)
    assert finding.urn == network.urn
    assert "VPC 'main' has no flow log" in finding.message
    assert finding.level == "mandatory"


def test_only_the_uncovered_vpc_is_reported() -> None:
    covered, bare = a_vpc("covered"), a_vpc("bare")
    log = flow_log(UNKNOWN, property_dependencies={"vpcId": [covered.urn]})
    assert [f.urn for f in violations(run(covered, bare, log), POLICY)] == [bare.urn]


def test_known_ids_are_matched_when_there_are_no_dependencies() -> None:
    assert run(a_vpc(id="vpc-0abc"), flow_log("vpc-0abc")) == []
    assert len(violations(run(a_vpc(id="vpc-0abc"), flow_log("vpc-other")), POLICY)) == 1


def test_unknown_vpc_id_falls_back_to_the_single_vpc_dependency() -> None:
    network = a_vpc()
    assert run(network, flow_log(UNKNOWN, dependencies=[network.urn])) == []


def test_flow_log_that_cannot_be_placed_makes_the_policy_not_runnable() -> None:
    findings = run(a_vpc(), flow_log(UNKNOWN))
    assert violations(findings, POLICY) == []
    [notice] = findings
    assert "during preview" in notice.message
    assert notice.level == "advisory"


def test_subnet_level_flow_log_does_not_cover_the_vpc() -> None:
    network = a_vpc()
    subnet_log = Res(FLOW_LOG, {"subnetId": "subnet-1", "trafficType": "ALL"}, name="subnet-flow")
    assert [f.urn for f in violations(run(network, subnet_log), POLICY)] == [network.urn]


def test_stack_without_vpcs_passes() -> None:
    assert run(flow_log(UNKNOWN)) == []
