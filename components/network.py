"""The VPC the cluster runs in: private subnets for nodes, public ones only for load balancers.

Secure defaults: the default security group is stripped of every rule (nothing can rely on it),
nodes get no public addresses, every flow in the VPC is logged to a KMS-encrypted log group
with retention (SP 800-204C C-4.9-2 runtime visibility; 800-53 AU-2, AU-9, SC-7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.aws_env import AwsEnv, document, logs_key_policy, trust_service
from components.subnets import plan_subnets

NatGatewayMode = Literal["per-az", "single"]

FLOW_LOG_RETENTION_DAYS = 365  # a year of network records for incident response (AU-11)
FLOW_LOG_AGGREGATION_SECONDS = 60  # the finest AWS offers; 600 is the AWS default
KEY_DELETION_WINDOW_DAYS = 30  # the longest KMS allows: time to notice a mistaken deletion


@dataclass(frozen=True)
class NetworkArgs:
    """Inputs of a `Network`; every default is the secure choice."""

    name: str
    """Name used in Name tags and the flow-log group name, e.g. `devsecops-dev`."""
    availability_zones: tuple[str, ...]
    """Zones to spread subnets across (2 to 6), e.g. ("us-east-1a", "us-east-1b", "us-east-1c")."""
    cidr: str = "10.0.0.0/16"
    """The VPC's IPv4 block; subnets are cut from it as `components.subnets` describes."""
    nat_gateways: NatGatewayMode = "per-az"
    """One NAT gateway per zone (a zone outage keeps egress elsewhere) or a single one (cheaper)."""
    flow_log_retention_days: int = FLOW_LOG_RETENTION_DAYS
    """Days CloudWatch keeps the VPC flow logs."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags put on every resource."""


@dataclass(frozen=True)
class ClusterNetwork:
    """What a cluster needs from its network (a `Network`, or a VPC built elsewhere)."""

    vpc_id: pulumi.Input[str]
    """The VPC the cluster's control-plane interfaces and nodes live in."""
    private_subnet_ids: pulumi.Input[list[str]]
    """Private subnets, at least two zones: control-plane interfaces and nodes go here."""


class Network(pulumi.ComponentResource):
    """VPC, subnets, routing, NAT, a closed default security group and encrypted flow logs."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]
    flow_log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("devsecops:network:Network", name, None, opts)
        plan = plan_subnets(args.cidr, len(args.availability_zones))
        child = pulumi.ResourceOptions(parent=self)

        def tags(label: str, **extra: str) -> dict[str, str]:
            return {**args.tags, "Name": f"{args.name}-{label}", **extra}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # EKS private endpoint and node registration need DNS names
            tags=tags("vpc"),
            opts=child,
        )
        # Strip the default group's allow-all rules: anything launched without an explicit group
        # gets no network access instead of full access within the VPC (CIS AWS 5.4).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, tags=tags("default-closed"), opts=child
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags("igw"), opts=child)

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=tags("public"),
            opts=child,
        )
        public: list[aws.ec2.Subnet] = []
        private: list[aws.ec2.Subnet] = []
        for zone, public_cidr, private_cidr in zip(
            args.availability_zones, plan.public, plan.private, strict=True
        ):
            subnet = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=public_cidr,
                map_public_ip_on_launch=False,  # load balancers get addresses; instances must not
                tags=tags(f"public-{zone}", **{"kubernetes.io/role/elb": "1"}),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )
            public.append(subnet)
            private.append(aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=private_cidr,
                map_public_ip_on_launch=False,
                tags=tags(f"private-{zone}", **{"kubernetes.io/role/internal-elb": "1"}),
                opts=child,
            ))

        nat_zones = args.availability_zones if args.nat_gateways == "per-az" else args.availability_zones[:1]
        nats: list[aws.ec2.NatGateway] = []
        for zone, subnet in zip(nat_zones, public, strict=False):
            eip = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc", tags=tags(f"nat-{zone}"), opts=child)
            nats.append(aws.ec2.NatGateway(
                f"{name}-nat-{zone}",
                allocation_id=eip.id,
                subnet_id=subnet.id,
                tags=tags(f"nat-{zone}"),
                # The gateway only routes once the internet gateway is attached.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            ))
        for index, (zone, subnet) in enumerate(zip(args.availability_zones, private, strict=True)):
            nat = nats[index] if args.nat_gateways == "per-az" else nats[0]
            route_table = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags=tags(f"private-{zone}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
            )

        flow_log_group_name = f"/aws/vpc-flow-logs/{args.name}"
        self._flow_logs(name, args, vpc, flow_log_group_name, tags("flow-logs"))

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.flow_log_group_name = pulumi.Output.from_input(flow_log_group_name)
        self.register_outputs({
            "vpc_id": self.vpc_id,
            "vpc_cidr": self.vpc_cidr,
            "private_subnet_ids": self.private_subnet_ids,
            "public_subnet_ids": self.public_subnet_ids,
            "flow_log_group_name": self.flow_log_group_name,
        })

    def for_cluster(self) -> ClusterNetwork:
        """The part of this network an `EksCluster` uses."""
        return ClusterNetwork(vpc_id=self.vpc_id, private_subnet_ids=self.private_subnet_ids)

    def _flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc, group_name: str,
                   tags: dict[str, str]) -> None:
        """Every accepted and rejected flow, to a log group only this VPC's logs may use."""
        child = pulumi.ResourceOptions(parent=self)
        env = AwsEnv.lookup(self)
        group_arn = env.arn("logs", f"log-group:{group_name}")
        key = aws.kms.Key(
            f"{name}-flow-logs",
            description=f"Encrypts the VPC flow logs of {args.name}",
            enable_key_rotation=True,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=logs_key_policy(env, [group_arn]),
            tags=tags,
            opts=child,
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=group_name,
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=key.arn,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            description=f"Lets VPC Flow Logs write {group_name}",
            assume_role_policy=trust_service(
                env.service("vpc-flow-logs"),
                # Only flow logs of this account may use the role (confused-deputy guard).
                conditions={
                    "StringEquals": {"aws:SourceAccount": env.account_id},
                    "ArnLike": {"aws:SourceArn": env.arn("ec2", "vpc-flow-log/*")},
                },
            ),
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=document(
                {
                    "Sid": "WriteThisLogGroup",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [group.arn, pulumi.Output.concat(group.arn, ":*")],
                },
                {
                    # DescribeLogGroups has no per-group resource; it is scoped to this account/region.
                    "Sid": "FindTheLogGroup",
                    "Effect": "Allow",
                    "Action": "logs:DescribeLogGroups",
                    "Resource": env.arn("logs", "log-group:*"),
                },
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=FLOW_LOG_AGGREGATION_SECONDS,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

