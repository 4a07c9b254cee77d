"""A managed node group and the launch template that hardens its instances.

The template requires IMDSv2 with a hop limit of 1 (pods without host networking cannot reach
the node's credentials), encrypts the gp3 root volume, sets no SSH key and no user data (EKS
bootstraps AL2023 nodes itself), and tags instances, volumes and interfaces.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.cluster_args import NODE_ROOT_DEVICE, NodeGroupArgs

ROOT_VOLUME_IOPS = 3000  # gp3 baseline, no extra charge
ROOT_VOLUME_THROUGHPUT_MIBPS = 125  # gp3 baseline, no extra charge
MAX_UNAVAILABLE_PERCENT = 33  # rolling updates replace a third of the nodes at a time


def launch_template(name: str, group: NodeGroupArgs, *, volume_kms_key_arn: str | None,
                    tags: dict[str, str], parent: pulumi.Resource) -> aws.ec2.LaunchTemplate:
    """The hardened launch template of one node group."""
    return aws.ec2.LaunchTemplate(
        name,
        description=f"EKS managed node group {group.name}",
        update_default_version=True,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="optional" if group.allow_imdsv1_insecure else "required",
            http_put_response_hop_limit=1,
            instance_metadata_tags="disabled",
        ),
        block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name=NODE_ROOT_DEVICE,
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_size=group.disk_size_gib,
                volume_type="gp3",
                iops=ROOT_VOLUME_IOPS,
                throughput=ROOT_VOLUME_THROUGHPUT_MIBPS,
                encrypted="true",
                kms_key_id=volume_kms_key_arn,
                delete_on_termination="true",
            ),
        )],
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
            for kind in ("instance", "volume", "network-interface")
        ],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def node_group(name: str, group: NodeGroupArgs, *, cluster: aws.eks.Cluster,
               node_role: aws.iam.Role, subnet_ids: pulumi.Input[list[str]],
               template: aws.ec2.LaunchTemplate, tags: dict[str, str], parent: pulumi.Resource,
               depends_on: Sequence[pulumi.Resource]) -> aws.eks.NodeGroup:
    """A managed node group on the private subnets, with no remote (SSH) access."""
    return aws.eks.NodeGroup(
        name,
        cluster_name=cluster.name,
        node_role_arn=node_role.arn,
        subnet_ids=subnet_ids,
        ami_type=group.ami_type,
        capacity_type=group.capacity_type,
        instance_types=list(group.instance_types),
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(
            min_size=group.min_size, max_size=group.max_size, desired_size=group.desired_size,
        ),
        update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=MAX_UNAVAILABLE_PERCENT),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
            id=template.id, version=template.latest_version.apply(str),
        ),
        labels=dict(group.labels),
        taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=t.effect) for t in group.taints],
        tags=tags,
        opts=pulumi.ResourceOptions(
            parent=parent,
            # An autoscaler owns the size after creation; do not fight it on every update.
            ignore_changes=["scalingConfig.desiredSize"],
            depends_on=list(depends_on),
        ),
    )
