"""Worker nodes: EKS managed node groups and EC2 launch templates (IMDS, disks, SSH).

A node group is judged on what it controls itself; the launch template it points to is checked
as its own resource. A node group without a launch template gets EKS's default template: IMDS hop
limit 2 (pods can reach the node's credentials), a root disk encrypted only if the account turned
on EBS encryption by default (which this pack cannot see), so both checks report it.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .meta import AwsResourcePolicy, Config
from .util import as_list, as_number, get, is_set, is_true

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def _has_launch_template(args: ResourceValidationArgs) -> bool:
    return is_set(args.props, "launchTemplate.id") or is_set(args.props, "launchTemplate.name")


def check_imdsv2(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    if args.resource_type == NODE_GROUP:
        if not _has_launch_template(args):
            yield (
                "launchTemplate is missing, so EKS's default launch template applies (IMDS hop limit "
                "2, IMDSv1 allowed on AL2). Attach a launch template with metadataOptions.httpTokens "
                '"required" and httpPutResponseHopLimit 1.'
            )
        return
    options = get(args.props, "metadataOptions")
    if get(options, "httpEndpoint") == "disabled":
        return  # no metadata service at all
    tokens = get(options, "httpTokens")
    if tokens != "required":
        shown = repr(tokens) if tokens is not None else "unset (IMDSv1 allowed)"
        yield f'metadataOptions.httpTokens is {shown}; set it to "required" (IMDSv2 only).'
    hop_limit = as_number(get(options, "httpPutResponseHopLimit"))
    if hop_limit != 1:
        shown = f"{hop_limit:g}" if hop_limit is not None else "unset (the AMI or account default applies)"
        yield (
            f"metadataOptions.httpPutResponseHopLimit is {shown}; set it to 1 so pods cannot reach "
            "the node's instance credentials (use IRSA or Pod Identity for pod credentials)."
        )


def check_volumes_encrypted(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    if args.resource_type == NODE_GROUP:
        if not _has_launch_template(args):
            yield (
                "launchTemplate is missing, so the node root disk (diskSize) is encrypted only if the "
                "account has EBS encryption by default. Attach a launch template whose "
                "blockDeviceMappings set ebs.encrypted to true."
            )
        return
    mappings = as_list(get(args.props, "blockDeviceMappings"))
    if not mappings:
        yield (
            "blockDeviceMappings is missing, so the root volume comes from the AMI snapshot and is "
            "encrypted only if the account has EBS encryption by default. Add a mapping for the root "
            'device with ebs.encrypted "true" (and ebs.kmsKeyId for a customer-managed key).'
        )
        return
    for index, mapping in enumerate(mappings):
        ebs = get(mapping, "ebs")
        if ebs is None:
            continue  # instance store or suppressed device: not an EBS volume
        if not is_true(get(ebs, "encrypted")):
            yield f'blockDeviceMappings[{index}].ebs.encrypted is not true; set it to "true".'


def check_no_ssh(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    if args.resource_type == NODE_GROUP:
        remote = get(args.props, "remoteAccess")
        if remote is None:
            return
        exposure = (
            ""
            if is_set(remote, "sourceSecurityGroupIds")
            else " With no sourceSecurityGroupIds, EKS opens port 22 to 0.0.0.0/0."
        )
        yield (
            f"remoteAccess is set: nodes accept SSH with remoteAccess.ec2SshKey.{exposure} Remove "
            "remoteAccess and use SSM Session Manager for break-glass access."
        )
        return
    if is_set(args.props, "keyName"):
        yield (
            "keyName is set: instances accept SSH with that key pair. Remove keyName and use SSM "
            "Session Manager for break-glass access."
        )


POLICIES: list[Policy] = [
    AwsResourcePolicy(
        name="nodes-imdsv2-required",
        description="Nodes require IMDSv2 with a hop limit of 1, so pods cannot steal node credentials.",
        resource_types=[LAUNCH_TEMPLATE, NODE_GROUP],
        check=check_imdsv2,
        severity=Severity.HIGH,
        nist="CM-7",
        sp800204="C-4.4-3",
        remediation=(
            "Give every node group a launch template with metadata_options={'http_endpoint': "
            "'enabled', 'http_tokens': 'required', 'http_put_response_hop_limit': 1} (the platform's "
            "node group default)."
        ),
        topics=["eks", "ec2", "hardening"],
    ),
    AwsResourcePolicy(
        name="nodes-volumes-encrypted",
        description="Node EBS volumes are encrypted.",
        resource_types=[LAUNCH_TEMPLATE, NODE_GROUP],
        check=check_volumes_encrypted,
        severity=Severity.MEDIUM,
        nist="SC-28",
        sp800204="C-4.4-3",
        remediation=(
            "Use a launch template with block_device_mappings=[{'device_name': '/dev/xvda', 'ebs': "
            "{'encrypted': 'true', 'volume_type': 'gp3', 'kms_key_id': key.arn}}] for every node "
            "group. If the account enforces EBS encryption by default instead, disable this policy "
            "for the stack in the policy config and say why."
        ),
        topics=["eks", "ec2", "encryption"],
    ),
    AwsResourcePolicy(
        name="nodes-no-ssh",
        description="Nodes accept no SSH: no node group remote access and no launch template key pair.",
        resource_types=[LAUNCH_TEMPLATE, NODE_GROUP],
        check=check_no_ssh,
        severity=Severity.HIGH,
        nist="AC-17",
        sp800204="C-4.4-3",
        remediation=(
            "Remove remote_access from node groups and key_name from launch templates; attach "
            "AmazonSSMManagedInstanceCore to the node role and use SSM Session Manager when a shell "
            "on a node is really needed."
        ),
        topics=["eks", "ec2", "remote-access"],
    ),
]
