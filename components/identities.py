"""The identities CI uses in AWS: GitHub OIDC federation, no long-lived keys (SP 800-204C §4.6, §4.7).

- A GitHub Actions OIDC provider (`token.actions.githubusercontent.com`, audience
  `sts.amazonaws.com`), or an existing one: an account holds one provider per issuer URL.
- A read-only **preview** role. Its trust admits only this repository's pull requests
  (`repo:<owner>/<repo>:pull_request`) and, optionally, the scheduled drift check, which runs in a
  GitHub environment of its own (`repo:<owner>/<repo>:environment:<drift env>`). It gets the
  AWS-managed ReadOnlyAccess policy, minus the data reads a preview never needs (secret values,
  arbitrary S3 objects, private SSM parameters), plus what the state backend needs.
- A **deploy** role for `pulumi up`. Its trust admits only the protected GitHub environment
  (`repo:<owner>/<repo>:environment:<env>`, the environment that has required reviewers) or, if
  configured instead, the protected branch (`repo:<owner>/<repo>:ref:refs/heads/<branch>`).

Both trusts check `aud` and `sub` with StringEquals: no wildcard anywhere. The component creates no
IAM users and no access keys, and gives neither role Kubernetes write access: the preview role may
get a view-only EKS access entry, the deploy role gets none (§4.7: cluster credentials never leave
the cluster; application deployments are pulled by the in-cluster GitOps controller).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"
READ_ONLY_POLICY = "policy/ReadOnlyAccess"
EKS_VIEW_POLICY = "cluster-access-policy/AmazonEKSViewPolicy"
MAX_SESSION_SECONDS = 3600

# GitHub owner and repository names: letters, digits, '-', '_' and '.' (no wildcards).
_OWNER_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}\Z")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9 ._-]{1,255}\Z")
_BRANCH = re.compile(r"^[A-Za-z0-9._/-]{1,255}\Z")

# What `pulumi up` of this platform manages, by service. Broad within each service because the
# platform creates and replaces resources of many types there; narrowed by the denies below.
DEPLOY_SERVICE_ACTIONS = [
    "autoscaling:*",
    "cloudwatch:*",
    "ec2:*",
    "ecr:*",
    "eks:*",
    "elasticloadbalancing:*",
    "kms:*",
    "logs:*",
    "s3:*",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "sts:GetCallerIdentity",
]
# IAM: roles, policies, instance profiles and OIDC providers for the platform's own workloads.
DEPLOY_IAM_ACTIONS = [
    "iam:AddRoleToInstanceProfile",
    "iam:AttachRolePolicy",
    "iam:CreateInstanceProfile",
    "iam:CreateOpenIDConnectProvider",
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:CreateServiceLinkedRole",
    "iam:DeleteInstanceProfile",
    "iam:DeleteOpenIDConnectProvider",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:Get*",
    "iam:List*",
    "iam:PutRolePolicy",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagOpenIDConnectProvider",
    "iam:TagPolicy",
    "iam:TagRole",
    "iam:UntagOpenIDConnectProvider",
    "iam:UntagPolicy",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateOpenIDConnectProviderThumbprint",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
]
PASS_ROLE_SERVICES = ["ec2.amazonaws.com", "eks.amazonaws.com", "eks-pods.amazonaws.com"]
# Long-lived credentials and human identities: never created by the pipeline (IA-5, AC-2).
DENY_LONG_LIVED_CREDENTIALS = [
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreateUser",
    "iam:UpdateAccessKey",
    "iam:UpdateLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:AddUserToGroup",
    "iam:CreateServiceSpecificCredential",
]
# The pipeline cannot widen its own identities: changing the CI roles or the GitHub provider is an
# administrator's change (separation of duties, AC-5).
DENY_SELF_MODIFICATION = [
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
]
DENY_PROVIDER_MODIFICATION = [
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
]
# Data reads that ReadOnlyAccess allows and a preview never needs.
PREVIEW_DENIED_DATA_READS = [
    "secretsmanager:GetSecretValue",
    "ssm:GetParameterHistory",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "sqs:ReceiveMessage",
    "kinesis:GetRecords",
]


@dataclass(frozen=True)
class PipelineIdentitiesArgs:
    """Who may assume the CI roles, and what the state backend is."""

    github_repository: str
    """`owner/repo` whose workflows may assume the roles (no wildcards)."""
    deploy_environment: str | None = "production"
    """GitHub environment (with required reviewers) the deploy job runs in; sub `...:environment:<env>`."""
    deploy_branch: str | None = None
    """Instead of an environment: the protected branch the deploy job runs on (sub `...:ref:refs/heads/<b>`)."""
    drift_environment: str | None = "drift"
    """GitHub environment of the scheduled drift check, which uses the read-only role; None: PRs only."""
    existing_oidc_provider_arn: str | None = None
    """The account's existing GitHub OIDC provider; None creates one (one per account is allowed)."""
    state_bucket_arn: str | None = None
    """S3 bucket of a self-managed Pulumi backend (`s3://...`); None: Pulumi Cloud or another backend."""
    secrets_kms_key_arn: str | None = None
    """KMS key of an `awskms://` secrets provider; preview decrypts, deploy encrypts and decrypts."""
    deploy_extra_actions: Sequence[str] = ()
    """IAM actions the deploy role needs beyond DEPLOY_SERVICE_ACTIONS (e.g. `acm-pca:*`)."""
    deploy_permissions_boundary_arn: str | None = None
    """A permissions boundary every role the deploy role creates must carry (recommended: it closes the
    create-a-role-then-pass-it escalation path); None: no boundary is required."""
    preview_cluster_view: bool = True
    """With an EKS cluster name given, give the preview role a view-only access entry (no Secrets)."""
    partition: str = "aws"
    """AWS partition (`aws`, `aws-us-gov`, `aws-cn`)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every AWS resource the component creates."""

    @property
    def preview_subjects(self) -> list[str]:
        subjects = [f"repo:{self.github_repository}:pull_request"]
        if self.drift_environment:
            subjects.append(f"repo:{self.github_repository}:environment:{self.drift_environment}")
        return subjects

    @property
    def deploy_subject(self) -> str:
        if self.deploy_environment:
            return f"repo:{self.github_repository}:environment:{self.deploy_environment}"
        return f"repo:{self.github_repository}:ref:refs/heads/{self.deploy_branch}"


def validate_identities_args(args: PipelineIdentitiesArgs) -> list[str]:
    problems: list[str] = []
    if not _OWNER_REPO.match(args.github_repository):
        problems.append(f"github_repository {args.github_repository!r} is not 'owner/repo' (no wildcards)")
    if (args.deploy_environment is None) == (args.deploy_branch is None):
        problems.append("exactly one of deploy_environment and deploy_branch must be set")
    if args.deploy_environment is not None and not _ENVIRONMENT.match(args.deploy_environment):
        problems.append(f"deploy_environment {args.deploy_environment!r} is not a GitHub environment name")
    if args.deploy_branch is not None and (not _BRANCH.match(args.deploy_branch) or "*" in args.deploy_branch):
        problems.append(f"deploy_branch {args.deploy_branch!r} is not a branch name")
    if args.drift_environment is not None and not _ENVIRONMENT.match(args.drift_environment):
        problems.append(f"drift_environment {args.drift_environment!r} is not a GitHub environment name")
    if args.drift_environment is not None and args.drift_environment == args.deploy_environment:
        problems.append("drift_environment must differ from deploy_environment")
    for action in args.deploy_extra_actions:
        if action in ("*", "iam:*") or not re.match(r"^[a-z0-9-]+:[A-Za-z0-9*]+\Z", action):
            problems.append(f"deploy_extra_actions entry {action!r} is not an allowed 'service:Action'")
    return problems


def github_trust_policy(provider_arn: str, subjects: Sequence[str]) -> dict[str, Any]:
    """Trust for GitHub Actions OIDC tokens with exactly this audience and these subjects."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": list(subjects),
                    }
                },
            }
        ],
    }


def _state_statements(
    bucket_arn: str | None, key_arn: str | None, *, write: bool
) -> list[dict[str, Any]]:
    """Access to the Pulumi state backend: read state; write only lock files unless deploying."""
    statements: list[dict[str, Any]] = []
    if bucket_arn:
        statements += [
            {"Sid": "StateList", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
             "Resource": bucket_arn},
            {"Sid": "StateRead", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{bucket_arn}/*"},
            {
                "Sid": "StateWrite" if write else "StateLocks",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                # A preview only takes and releases the stack lock.
                "Resource": f"{bucket_arn}/*" if write else f"{bucket_arn}/.pulumi/locks/*",
            },
        ]
    if key_arn:
        actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
        statements.append({"Sid": "StateSecrets", "Effect": "Allow", "Action": actions, "Resource": key_arn})
    return statements


def preview_role_policy(bucket_arn: str | None, key_arn: str | None, partition: str = "aws") -> dict[str, Any]:
    """Inline policy of the preview role, on top of ReadOnlyAccess."""
    not_state_objects = [f"{bucket_arn}/*"] if bucket_arn else []
    statements: list[dict[str, Any]] = [
        {"Sid": "NoDataReads", "Effect": "Deny", "Action": PREVIEW_DENIED_DATA_READS, "Resource": "*"},
        # Public AWS parameters (EKS AMI ids) stay readable; private parameters do not.
        {"Sid": "NoPrivateParameters", "Effect": "Deny", "Action": ["ssm:GetParameter", "ssm:GetParameters",
                                                                    "ssm:GetParametersByPath"],
         "NotResource": f"arn:{partition}:ssm:*::parameter/aws/*"},
    ]
    if not_state_objects:
        statements.append({"Sid": "NoObjectReadsOutsideState", "Effect": "Deny", "Action": "s3:GetObject",
                           "NotResource": not_state_objects})
    else:
        statements.append({"Sid": "NoObjectReads", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"})
    statements += _state_statements(bucket_arn, key_arn, write=False)
    return {"Version": "2012-10-17", "Statement": statements}


def deploy_role_policy(
    *,
    protected_role_arns: Sequence[str],
    provider_arn: str,
    bucket_arn: str | None,
    key_arn: str | None,
    extra_actions: Sequence[str] = (),
    permissions_boundary_arn: str | None = None,
) -> dict[str, Any]:
    """Inline policy of the deploy role: the platform's services, never keys, never itself."""
    statements: list[dict[str, Any]] = [
        {"Sid": "PlatformServices", "Effect": "Allow",
         "Action": sorted(set(DEPLOY_SERVICE_ACTIONS) | set(extra_actions)), "Resource": "*"},
        {"Sid": "PlatformIam", "Effect": "Allow", "Action": sorted(DEPLOY_IAM_ACTIONS), "Resource": "*"},
        # Roles may be handed only to the services the platform runs on, and never the CI roles.
        {"Sid": "PassRoleToPlatformServices", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PassedToService": PASS_ROLE_SERVICES}}},
        {"Sid": "NoPassingCiRoles", "Effect": "Deny", "Action": "iam:PassRole",
         "Resource": sorted(protected_role_arns)},
        {"Sid": "NoLongLivedCredentials", "Effect": "Deny", "Action": DENY_LONG_LIVED_CREDENTIALS, "Resource": "*"},
        {"Sid": "NoSelfModification", "Effect": "Deny", "Action": DENY_SELF_MODIFICATION,
         "Resource": sorted(protected_role_arns)},
        {"Sid": "NoProviderModification", "Effect": "Deny", "Action": DENY_PROVIDER_MODIFICATION,
         "Resource": provider_arn},
    ]
    if permissions_boundary_arn:
        statements.append(
            {"Sid": "RolesCarryTheBoundary", "Effect": "Deny",
             "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"], "Resource": "*",
             "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": permissions_boundary_arn}}}
        )
        statements.append(
            {"Sid": "BoundaryStays", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary",
             "Resource": "*"}
        )
    statements += _state_statements(bucket_arn, key_arn, write=True)
    return {"Version": "2012-10-17", "Statement": statements}


class PipelineIdentities(pulumi.ComponentResource):
    """GitHub OIDC provider plus the read-only preview role and the environment-bound deploy role."""

    oidc_provider_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]
    preview_role_name: pulumi.Output[str]
    deploy_role_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: PipelineIdentitiesArgs,
        *,
        eks_cluster_name: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`eks_cluster_name`: the cluster the preview role may read (view-only access entry)."""
        super().__init__("devsecops:ci:PipelineIdentities", name, None, opts)
        problems = validate_identities_args(args)
        if problems:
            raise ValueError(f"PipelineIdentities {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        partition = args.partition

        depends: list[pulumi.Resource] = []
        if args.existing_oidc_provider_arn is None:
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github",
                url=GITHUB_OIDC_URL,
                client_id_lists=[STS_AUDIENCE],
                # No thumbprint: AWS validates GitHub's certificate against its own trusted CAs.
                tags=tags,
                opts=child,
            )
            depends.append(provider)
            # The ARN is built from the account id (known at preview) rather than read from the
            # provider (unknown until created), so trust policies can be checked before deployment.
            account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
            provider_arn: pulumi.Output[str] = account_id.apply(
                lambda acct: f"arn:{partition}:iam::{acct}:oidc-provider/{GITHUB_OIDC_HOST}"
            )
        else:
            provider_arn = pulumi.Output.from_input(args.existing_oidc_provider_arn)
        self.oidc_provider_arn = provider_arn
        role_opts = pulumi.ResourceOptions(parent=self, depends_on=depends)

        preview = aws.iam.Role(
            f"{name}-preview",
            description=f"Read-only pulumi preview for pull requests of {args.github_repository}",
            assume_role_policy=provider_arn.apply(
                lambda arn: json.dumps(github_trust_policy(arn, args.preview_subjects))
            ),
            max_session_duration=MAX_SESSION_SECONDS,
            tags=tags,
            opts=role_opts,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-preview-readonly",
            role=preview.name,
            policy_arn=f"arn:{partition}:iam::aws:{READ_ONLY_POLICY}",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-preview-scope",
            role=preview.name,
            policy=json.dumps(preview_role_policy(args.state_bucket_arn, args.secrets_kms_key_arn, partition)),
            opts=child,
        )

        deploy = aws.iam.Role(
            f"{name}-deploy",
            description=f"pulumi up for {args.github_repository} behind its protected environment or branch",
            assume_role_policy=provider_arn.apply(
                lambda arn: json.dumps(github_trust_policy(arn, [args.deploy_subject]))
            ),
            max_session_duration=MAX_SESSION_SECONDS,
            tags=tags,
            opts=role_opts,
        )
        aws.iam.RolePolicy(
            f"{name}-deploy-scope",
            role=deploy.name,
            policy=pulumi.Output.all(preview.arn, deploy.arn, provider_arn).apply(
                lambda v: json.dumps(
                    deploy_role_policy(
                        protected_role_arns=[v[0], v[1]],
                        provider_arn=v[2],
                        bucket_arn=args.state_bucket_arn,
                        key_arn=args.secrets_kms_key_arn,
                        extra_actions=args.deploy_extra_actions,
                        permissions_boundary_arn=args.deploy_permissions_boundary_arn,
                    )
                )
            ),
            opts=child,
        )

        if eks_cluster_name is not None and args.preview_cluster_view:
            entry = aws.eks.AccessEntry(
                f"{name}-preview-view",
                cluster_name=eks_cluster_name,
                principal_arn=preview.arn,
                type="STANDARD",
                tags=tags,
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-preview-view",
                cluster_name=eks_cluster_name,
                principal_arn=preview.arn,
                policy_arn=f"arn:{partition}:eks::aws:{EKS_VIEW_POLICY}",
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )

        self.preview_role_arn = preview.arn
        self.deploy_role_arn = deploy.arn
        self.preview_role_name = preview.name
        self.deploy_role_name = deploy.name
        self.register_outputs(
            {
                "oidc_provider_arn": self.oidc_provider_arn,
                "preview_role_arn": self.preview_role_arn,
                "deploy_role_arn": self.deploy_role_arn,
            }
        )
