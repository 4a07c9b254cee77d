"""The artifact registry CI pushes to and the cluster pulls from (SP 800-204C §3.2(c), §4.6).

ECR repositories with immutable tags, scan on push, a customer-managed KMS key with rotation and a
lifecycle policy. The repository policy names the principals: the CI push role(s) may push, the
node and workload roles may pull, and everyone else in the account is explicitly denied both
(C-4.6-3: control who can push to and pull from the registry). The deny matters: inside one
account an identity policy such as AmazonEC2ContainerRegistryReadOnly would otherwise grant access
without the repository policy's consent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

# Defaults users may want to change, in one place.
UNTAGGED_EXPIRY_DAYS = 14
KEEP_LAST_IMAGES = 100
KMS_DELETION_WINDOW_DAYS = 30

PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
# Actions that write an image; denied to everyone but the push roles.
WRITE_ACTIONS = [
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
PULL_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
]
# ECR repository names: lowercase, digits, and . _ - / separators (AWS's own rule).
REPOSITORY_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*\Z")


@dataclass(frozen=True)
class ArtifactRegistryArgs:
    """Repositories and retention; who may push and pull is passed to the component separately."""

    repositories: Sequence[str]
    """ECR repository names (exact names: workloads and workflows refer to images by them)."""
    untagged_expiry_days: int = UNTAGGED_EXPIRY_DAYS
    """Untagged images are expired this many days after push."""
    keep_last_images: int = KEEP_LAST_IMAGES
    """At most this many images are kept per repository; older ones expire."""
    kms_key_arn: str | None = None
    """An existing customer-managed KMS key; None creates one per registry, with rotation."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every AWS resource the component creates."""


def validate_registry_args(args: ArtifactRegistryArgs) -> list[str]:
    """Problems with the args (empty means valid); the config parser turns them into ConfigErrors."""
    problems: list[str] = []
    if not args.repositories:
        problems.append("at least one repository is required")
    for name in args.repositories:
        if not REPOSITORY_NAME.match(name) or len(name) > 256:
            problems.append(f"repository name {name!r} is not a valid ECR name")
    if len(set(args.repositories)) != len(args.repositories):
        problems.append("repository names repeat")
    if args.untagged_expiry_days < 1:
        problems.append("untagged_expiry_days must be at least 1")
    if args.keep_last_images < 1:
        problems.append("keep_last_images must be at least 1")
    return problems


def lifecycle_policy(untagged_expiry_days: int, keep_last_images: int) -> dict[str, Any]:
    """Expire untagged images after N days, then keep only the last M images of any tag status."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images {untagged_expiry_days} days after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_expiry_days,
                },
                "action": {"type": "expire"},
            },
            {
                # ECR requires the tagStatus "any" rule to have the highest priority number.
                "rulePriority": 2,
                "description": f"Keep the last {keep_last_images} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_last_images,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def repository_policy(
    account_id: str,
    push_role_arns: Sequence[str],
    pull_role_arns: Sequence[str],
    partition: str = "aws",
) -> dict[str, Any]:
    """Allow the named roles; deny push and pull to every other principal of the account.

    The deny statements name the account (not `*`): cross-account principals get nothing anyway,
    because no statement allows them.
    """
    push = sorted(set(push_role_arns))
    readers = sorted(set(push_role_arns) | set(pull_role_arns))
    account = f"arn:{partition}:iam::{account_id}:root"
    # AWS service-linked roles (e.g. Inspector's enhanced scanning) keep their access.
    service_roles = f"arn:{partition}:iam::{account_id}:role/aws-service-role/*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "CiPush",
            "Effect": "Allow",
            "Principal": {"AWS": push},
            "Action": PUSH_ACTIONS,
        },
    ]
    if pull_role_arns:
        statements.append(
            {
                "Sid": "WorkloadPull",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(set(pull_role_arns))},
                "Action": PULL_ACTIONS,
            }
        )
    statements += [
        {
            "Sid": "DenyPushByOthers",
            "Effect": "Deny",
            "Principal": {"AWS": account},
            "Action": WRITE_ACTIONS,
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": [*push, service_roles]}},
        },
        {
            "Sid": "DenyPullByOthers",
            "Effect": "Deny",
            "Principal": {"AWS": account},
            "Action": PULL_ACTIONS,
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": [*readers, service_roles]}},
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def push_identity_policy(repository_arns: Sequence[str]) -> dict[str, Any]:
    """What a push role needs: a registry login token, and push to exactly these repositories."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "EcrPush", "Effect": "Allow", "Action": PUSH_ACTIONS, "Resource": sorted(repository_arns)},
        ],
    }


class ArtifactRegistry(pulumi.ComponentResource):
    """ECR repositories that only the CI push roles write and only the named roles read."""

    repository_urls: dict[str, pulumi.Output[str]]
    repository_arns: dict[str, pulumi.Output[str]]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ArtifactRegistryArgs,
        *,
        push_role_arns: Sequence[pulumi.Input[str]],
        pull_role_arns: Sequence[pulumi.Input[str]],
        attach_push_policy_to: Sequence[pulumi.Input[str]] = (),
        partition: str = "aws",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`push_role_arns`: the CI roles that push (e.g. `CiRunners.push_role_arns`);
        `pull_role_arns`: the cluster's node role and any workload (IRSA) roles that pull;
        `attach_push_policy_to`: role *names* that get an identity policy allowing push to exactly
        these repositories (e.g. `CiRunners.push_role_names`)."""
        super().__init__("devsecops:ci:ArtifactRegistry", name, None, opts)
        problems = validate_registry_args(args)
        if not push_role_arns:
            problems.append("push_role_arns is empty: nobody could push")
        if problems:
            raise ValueError(f"ArtifactRegistry {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        if args.kms_key_arn is None:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"ECR image encryption for {name}",
                enable_key_rotation=True,
                deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
                tags=tags,
                opts=child,
            )
            self.kms_key_arn = key.arn
        else:
            self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)

        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        policy_json = pulumi.Output.all(
            account_id,
            pulumi.Output.all(*push_role_arns),
            pulumi.Output.all(*pull_role_arns),
        ).apply(lambda v: json.dumps(repository_policy(v[0], v[1], v[2], partition)))

        self.repository_urls = {}
        self.repository_arns = {}
        for repo_name in args.repositories:
            slug = repo_name.replace("/", "-")
            repo = aws.ecr.Repository(
                f"{name}-{slug}",
                name=repo_name,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=self.kms_key_arn)
                ],
                tags=tags,
                opts=child,
            )
            aws.ecr.RepositoryPolicy(f"{name}-{slug}-policy", repository=repo.name, policy=policy_json, opts=child)
            aws.ecr.LifecyclePolicy(
                f"{name}-{slug}-lifecycle",
                repository=repo.name,
                policy=json.dumps(lifecycle_policy(args.untagged_expiry_days, args.keep_last_images)),
                opts=child,
            )
            self.repository_urls[repo_name] = repo.repository_url
            self.repository_arns[repo_name] = repo.arn

        push_policy = pulumi.Output.all(*self.repository_arns.values()).apply(
            lambda arns: json.dumps(push_identity_policy(arns))
        )
        for index, role in enumerate(attach_push_policy_to):
            aws.iam.RolePolicy(f"{name}-push-{index}", role=role, policy=push_policy, opts=child)

        self.register_outputs(
            {
                "repository_urls": self.repository_urls,
                "repository_arns": self.repository_arns,
                "kms_key_arn": self.kms_key_arn,
            }
        )
