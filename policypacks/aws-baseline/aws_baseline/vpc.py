"""VPC flow logs (stack policy): every `aws:ec2/vpc:Vpc` has a VPC-level `aws:ec2/flowLog:FlowLog`.

Only flow logs whose `vpcId` refers to the VPC count; subnet- or ENI-level flow logs leave the
rest of the VPC unrecorded. VPCs created outside the stack are not seen.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Policy, PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from .graph import linked, of_types
from .meta import AwsStackPolicy, Config

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"


def check_flow_logs(args: StackValidationArgs, _cfg: Config) -> Iterator[tuple[str, str]]:
    vpcs = of_types(args, VPC)
    covered: set[str] = set()
    undecided: UnknownValueError | None = None
    for flow_log in of_types(args, FLOW_LOG):
        try:
            covered |= linked(flow_log, "vpcId", vpcs, id_props=("id",))
        except UnknownValueError as error:
            undecided = undecided or error
    uncovered = [vpc for vpc in vpcs if vpc.urn not in covered]
    if uncovered and undecided is not None:
        raise undecided  # a flow log we cannot place might cover them: say so, do not guess
    for vpc in uncovered:
        yield vpc.urn, _no_flow_log(vpc)


def _no_flow_log(vpc: PolicyResource) -> str:
    return (
        f"VPC '{vpc.name}' has no flow log: no {FLOW_LOG} in the stack has a vpcId that refers to it. "
        "Add a FlowLog with vpc_id=vpc.id and traffic_type 'ALL', delivering to a KMS-encrypted "
        "CloudWatch log group with retention."
    )


POLICIES: list[Policy] = [
    AwsStackPolicy(
        name="vpc-flow-logs",
        description="Every VPC in the stack records its traffic with a VPC-level flow log.",
        resource_types=[VPC, FLOW_LOG],
        check=check_flow_logs,
        severity=Severity.MEDIUM,
        nist="AU-12",
        sp800204="C-4.5-1",
        remediation=(
            "For each aws.ec2.Vpc add aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL', "
            "log_destination_type='cloud-watch-logs', log_destination=log_group.arn, "
            "iam_role_arn=role.arn) with a KMS-encrypted log group that has a retention."
        ),
        topics=["vpc", "network", "logging"],
    ),
]
