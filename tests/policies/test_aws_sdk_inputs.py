"""aws-baseline against inputs produced by the real pulumi-aws SDK in a preview of a new stack.

The other tests write engine-form inputs by hand. Here pulumi-aws 7.x resources are declared
under Pulumi's mock monitor in preview mode (ids and ARNs unknown, as in `pulumi preview` of a new
stack), and what the SDK actually sends (camelCase names, string booleans, unknown sentinels,
propertyDependencies) is fed to the pack. A wrong property name in a policy shows up here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

from tests.packharness import Finding, Res, add_pack_to_path, analyze, analyze_stack

add_pack_to_path("aws-baseline")
from aws_baseline import POLICIES  # noqa: E402

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
ASSUME_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}
        ],
    }
)


class _NewStack(pulumi.runtime.Mocks):
    """A preview of a new stack: no resource has an id or outputs yet."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return "", {}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


class _Recorder(MockMonitor):  # type: ignore[misc]
    """Keeps each registration as the engine would pass it to an analyzer."""

    def __init__(self) -> None:
        super().__init__(_NewStack())
        self.recorded: list[Res] = []
        self._urns: dict[str, str] = {}  # mock monitor URN -> harness URN

    def RegisterResource(self, request: Any) -> Any:  # overrides the gRPC method of the same name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            resource = Res(
                request.type,
                json_format.MessageToDict(request.object),
                name=request.name,
                dependencies=[self._urns[u] for u in request.dependencies if u in self._urns],
                property_dependencies={
                    key: [self._urns[u] for u in deps.urns if u in self._urns]
                    for key, deps in request.propertyDependencies.items()
                },
            )
            self._urns[response.urn] = resource.urn
            self.recorded.append(resource)
        return response


def record(declare: Callable[[], None]) -> list[Res]:
    monitor = _Recorder()
    pulumi.runtime.set_mocks(_NewStack(), preview=True, monitor=monitor)

    @pulumi.runtime.test  # type: ignore[misc]
    def run() -> None:
        declare()

    run()
    return monitor.recorded


def findings(resources: list[Res]) -> list[Finding]:
    found = [f for r in resources for f in analyze(POLICIES, r)]
    return found + analyze_stack(POLICIES, resources)


def secure_platform() -> None:
    import pulumi_aws as aws

    key = aws.kms.Key("key", enable_key_rotation=True)
    aws.cloudwatch.LogGroup("flow-logs", retention_in_days=90, kms_key_id=key.arn)
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
    aws.ec2.FlowLog("vpc-flow", vpc_id=vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs")
    sg = aws.ec2.SecurityGroup(
        "nodes",
        vpc_id=vpc.id,
        ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/16"]}],
    )
    aws.vpc.SecurityGroupIngressRule(
        "self", security_group_id=sg.id, ip_protocol="-1", referenced_security_group_id=sg.id
    )
    role = aws.iam.Role("nodes", assume_role_policy=ASSUME_EC2)
    scoped = {"Effect": "Allow", "Action": ["ecr:BatchGetImage"], "Resource": "*"}
    aws.iam.RolePolicy(
        "pull", role=role.id, policy=json.dumps({"Version": "2012-10-17", "Statement": [scoped]})
    )
    cluster = aws.eks.Cluster(
        "platform",
        role_arn=role.arn,
        version="1.33",
        vpc_config={
            "subnet_ids": ["subnet-a"],
            "endpoint_private_access": True,
            "endpoint_public_access": False,
        },
        encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
        enabled_cluster_log_types=LOG_TYPES,
        access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
    )
    template = aws.ec2.LaunchTemplate(
        "workers",
        metadata_options={
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
        },
        block_device_mappings=[
            {
                "device_name": "/dev/xvda",
                "ebs": {"encrypted": "true", "volume_type": "gp3", "kms_key_id": key.arn},
            }
        ],
    )
    aws.eks.NodeGroup(
        "workers",
        cluster_name=cluster.name,
        node_role_arn=role.arn,
        subnet_ids=["subnet-a"],
        scaling_config={"desired_size": 2, "max_size": 3, "min_size": 1},
        launch_template={"id": template.id, "version": template.latest_version.apply(str)},
    )
    bucket = aws.s3.Bucket("evidence")
    aws.s3.BucketPublicAccessBlock(
        "evidence",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        "evidence",
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": key.arn,
                }
            }
        ],
    )
    aws.ecr.Repository(
        "app",
        image_tag_mutability="IMMUTABLE",
        image_scanning_configuration={"scan_on_push": True},
        encryption_configurations=[{"encryption_type": "KMS", "kms_key": key.arn}],
    )


def insecure_platform() -> None:
    import pulumi_aws as aws

    aws.eks.Cluster(
        "open",
        role_arn="arn:aws:iam::111122223333:role/eks",
        version="1.29",
        vpc_config={
            "subnet_ids": ["subnet-a"],
            "endpoint_public_access": True,
            "public_access_cidrs": ["0.0.0.0/0"],
        },
        enabled_cluster_log_types=["api"],
    )
    aws.eks.Cluster(
        "migrating",
        role_arn="arn:aws:iam::111122223333:role/eks",
        vpc_config={"subnet_ids": ["subnet-a"]},
        access_config={"authentication_mode": "API_AND_CONFIG_MAP"},
    )
    aws.ec2.LaunchTemplate(
        "legacy",
        key_name="ops",
        metadata_options={"http_tokens": "optional", "http_put_response_hop_limit": 2},
        block_device_mappings=[{"device_name": "/dev/xvda", "ebs": {"encrypted": "false"}}],
    )
    aws.kms.Key("key")
    aws.cloudwatch.LogGroup("short", retention_in_days=7)
    aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
    aws.ec2.SecurityGroup(
        "ssh", ingress=[{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}]
    )
    aws.iam.Policy(
        "admin",
        policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    )
    aws.s3.BucketV2("loose")
    aws.ecr.Repository("app")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_secure_platform_declared_with_the_sdk_has_no_findings_at_all() -> None:
    resources = record(secure_platform)
    assert len(resources) == 15
    flow_log = next(r for r in resources if r.type == "aws:ec2/flowLog:FlowLog")
    assert flow_log.property_dependencies["vpcId"]  # the pairing path a new-stack preview relies on
    assert findings(resources) == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_insecure_platform_declared_with_the_sdk_trips_every_policy() -> None:
    found = findings(record(insecure_platform))
    assert not [f for f in found if "during preview" in f.message]
    assert {f.policy for f in found} == {p.name for p in POLICIES}
    advisory = {f.policy for f in found if f.level == "advisory"}
    assert advisory == {"eks-access-entries-only"}
