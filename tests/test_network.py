"""components.network: the VPC's real inputs under mocks, and the subnet arithmetic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.network import FLOW_LOG_RETENTION_DAYS, Network, NetworkArgs
from components.subnets import SubnetPlanError, largest_vpc_prefix, plan_subnets
from tests.mocks import ACCOUNT_ID, Recording, fake_arn, run

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
TAGS = {"project": "devsecops-platform", "stack": "dev", "team": "platform"}
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT = "aws:ec2/natGateway:NatGateway"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/vpc-flow-logs/devsecops-dev"


def build(**overrides: Any) -> tuple[Recording, dict[str, Any]]:
    args = NetworkArgs(**{"name": "devsecops-dev", "availability_zones": ZONES, "cidr": "10.20.0.0/16",
                          "tags": TAGS, **overrides})
    outputs: dict[str, Any] = {}

    def program() -> Any:
        network = Network("net", args)
        return network.private_subnet_ids.apply(lambda ids: outputs.update(private=ids))

    return run(program), outputs


@pytest.fixture(scope="module")
def recording() -> Recording:
    return build()[0]


def test_vpc_has_dns_and_the_configured_block(recording: Recording) -> None:
    vpc = recording.one(VPC)
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["enableDnsSupport"] is True


def test_default_security_group_is_closed(recording: Recording) -> None:
    sg = recording.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs["vpcId"] == "net-vpc-id"
    assert not sg.inputs.get("ingress")
    assert not sg.inputs.get("egress")


def test_private_subnets_for_nodes_public_only_for_load_balancers(recording: Recording) -> None:
    subnets = {s.name: s.inputs for s in recording.of_type(SUBNET)}
    assert {n: (s["availabilityZone"], s["cidrBlock"]) for n, s in subnets.items()} == {
        "net-private-us-east-1a": ("us-east-1a", "10.20.0.0/19"),
        "net-private-us-east-1b": ("us-east-1b", "10.20.32.0/19"),
        "net-private-us-east-1c": ("us-east-1c", "10.20.64.0/19"),
        "net-public-us-east-1a": ("us-east-1a", "10.20.128.0/22"),
        "net-public-us-east-1b": ("us-east-1b", "10.20.132.0/22"),
        "net-public-us-east-1c": ("us-east-1c", "10.20.136.0/22"),
    }
    for name, inputs in subnets.items():
        assert inputs["mapPublicIpOnLaunch"] is False
        role = "kubernetes.io/role/elb" if "public" in name else "kubernetes.io/role/internal-elb"
        other = "kubernetes.io/role/internal-elb" if "public" in name else "kubernetes.io/role/elb"
        assert inputs["tags"][role] == "1"
        assert other not in inputs["tags"]


def test_only_public_subnets_route_to_the_internet_gateway(recording: Recording) -> None:
    tables = {t.name: t.inputs["routes"] for t in recording.of_type(ROUTE_TABLE)}
    assert tables["net-public-rt"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": "net-igw-id"}]
    associations = {a.inputs["subnetId"]: a.inputs["routeTableId"] for a in recording.of_type(ASSOCIATION)}
    for zone in ZONES:
        assert associations[f"net-public-{zone}-id"] == "net-public-rt-id"
        assert associations[f"net-private-{zone}-id"] == f"net-private-{zone}-id"
        # each zone's private subnets leave through that zone's NAT gateway, never the IGW
        assert tables[f"net-private-{zone}"] == [
            {"cidrBlock": "0.0.0.0/0", "natGatewayId": f"net-nat-{zone}-id"}
        ]


def test_one_nat_gateway_per_zone_in_the_public_subnets(recording: Recording) -> None:
    nats = {n.name: n.inputs for n in recording.of_type(NAT)}
    assert {n: i["subnetId"] for n, i in nats.items()} == {
        f"net-nat-{z}": f"net-public-{z}-id" for z in ZONES
    }
    igw = recording.one("aws:ec2/internetGateway:InternetGateway")
    assert all(igw.urn in n.dependencies for n in recording.of_type(NAT))


def test_single_nat_gateway_serves_every_zone() -> None:
    recording, _ = build(nat_gateways="single")
    assert [n.name for n in recording.of_type(NAT)] == ["net-nat-us-east-1a"]
    assert len(recording.of_type("aws:ec2/eip:Eip")) == 1
    for zone in ZONES:
        routes = recording.one(ROUTE_TABLE, f"net-private-{zone}").inputs["routes"]
        assert routes == [{"cidrBlock": "0.0.0.0/0", "natGatewayId": "net-nat-us-east-1a-id"}]


def test_flow_logs_capture_all_traffic_into_the_encrypted_log_group(recording: Recording) -> None:
    flow_log = recording.one(FLOW_LOG)
    group = recording.one(LOG_GROUP)
    role = recording.one(ROLE)
    assert flow_log.inputs["vpcId"] == "net-vpc-id"
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == GROUP_ARN
    assert flow_log.inputs["iamRoleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/net-flow-logs"
    assert flow_log.inputs["maxAggregationInterval"] == 60
    # the role may write before the first flow is delivered
    assert recording.one(ROLE_POLICY).urn in flow_log.dependencies
    assert group.inputs["name"] == "/aws/vpc-flow-logs/devsecops-dev"
    assert group.inputs["retentionInDays"] == FLOW_LOG_RETENTION_DAYS
    key = recording.one(KEY)
    assert group.inputs["kmsKeyId"] == fake_arn(KEY, key.name, key.inputs)  # the ARN the mock gave the key
    assert role.inputs["description"].startswith("Lets VPC Flow Logs write")


def test_flow_log_key_rotates_and_only_serves_this_log_group(recording: Recording) -> None:
    key = recording.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    statements = json.loads(key.inputs["policy"])["Statement"]
    logs = next(s for s in statements if s["Principal"].get("Service") == "logs.us-east-1.amazonaws.com")
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": [GROUP_ARN]}}
    assert "kms:*" not in logs["Action"]


def test_flow_log_role_is_limited_to_this_account_and_log_group(recording: Recording) -> None:
    trust = json.loads(recording.one(ROLE).inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    statements = json.loads(recording.one(ROLE_POLICY).inputs["policy"])["Statement"]
    for statement in statements:
        assert "*" not in statement["Action"]
        assert statement["Resource"] != "*"
    assert statements[0]["Resource"] == [GROUP_ARN, f"{GROUP_ARN}:*"]


def test_every_taggable_resource_carries_the_default_tags(recording: Recording) -> None:
    untaggable = {ASSOCIATION, ROLE_POLICY, "devsecops:network:Network"}
    for resource in recording.resources:
        if resource.type in untaggable:
            continue
        tags = resource.inputs.get("tags")
        assert tags is not None, f"{resource.type} {resource.name} has no tags"
        assert TAGS.items() <= tags.items(), resource.name
        assert tags["Name"].startswith("devsecops-dev-")


def test_children_are_parented_to_the_component_and_named_after_it(recording: Recording) -> None:
    component = recording.one("devsecops:network:Network")
    children = recording.children_of(component)
    assert len(children) == len(recording.resources) - 1
    assert all(c.name.startswith("net-") for c in children)


def test_private_subnet_ids_output_lists_the_private_subnets() -> None:
    _, outputs = build()
    assert outputs["private"] == [f"net-private-{z}-id" for z in ZONES]


def test_two_networks_do_not_collide() -> None:
    def program() -> None:
        Network("a", NetworkArgs(name="a", availability_zones=ZONES[:2]))
        Network("b", NetworkArgs(name="b", availability_zones=ZONES[:2]))

    recording = run(program)
    urns = [r.urn for r in recording.resources]
    assert len(urns) == len(set(urns))


# --- subnet arithmetic ----------------------------------------------------------------------------


def test_subnet_plan_for_two_three_and_six_zones() -> None:
    assert plan_subnets("10.0.0.0/16", 2).private == ("10.0.0.0/18", "10.0.64.0/18")
    assert plan_subnets("10.0.0.0/16", 2).public == ("10.0.128.0/21", "10.0.136.0/21")
    three = plan_subnets("10.0.0.0/16", 3)
    assert three.private == ("10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19")
    assert three.public == ("10.0.128.0/22", "10.0.132.0/22", "10.0.136.0/22")
    six = plan_subnets("10.0.0.0/16", 6)
    assert six.private[-1] == "10.0.80.0/20"
    assert six.public[-1] == "10.0.138.0/23"


def test_smallest_vpc_for_three_zones_still_fits_aws_minimum_subnets() -> None:
    assert largest_vpc_prefix(3) == 22
    plan = plan_subnets("10.0.0.0/22", 3)
    assert plan.public[0].endswith("/28")
    with pytest.raises(SubnetPlanError, match="too small for 3 zones"):
        plan_subnets("10.0.0.0/23", 3)


@pytest.mark.parametrize(("cidr", "zones", "problem"), [
    ("10.0.0.0/16", 1, "needs 2 to 6"),
    ("10.0.0.0/16", 7, "needs 2 to 6"),
    ("10.0.0.0/8", 3, "from /16 to /28"),
    ("fd00::/56", 3, "not an IPv4 block"),
])
def test_subnet_plan_refuses_what_aws_cannot_build(cidr: str, zones: int, problem: str) -> None:
    with pytest.raises(SubnetPlanError, match=problem):
        plan_subnets(cidr, zones)
