"""IAM roles of an EKS cluster, each with only the AWS managed policies its job needs.

- control plane: AmazonEKSClusterPolicy (+ use of the secrets key when encryption is on);
- nodes: AmazonEKSWorkerNodePolicy and AmazonEC2ContainerRegistryPullOnly. The CNI policy is
  deliberately NOT on the node role (where every pod could borrow it through the node): the VPC
  CNI gets it through its own IRSA role, bound to the kube-system/aws-node service account.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components.aws_env import AwsEnv, document, trust_service

CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
VPC_CNI_POLICIES = ("AmazonEKS_CNI_Policy",)
VPC_CNI_SERVICE_ACCOUNT = "system:serviceaccount:kube-system:aws-node"


def role_with_policies(name: str, *, description: str, trust: pulumi.Input[str],
                       policies: tuple[str, ...], env: AwsEnv, tags: dict[str, str],
                       parent: pulumi.Resource) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """A role and its managed-policy attachments (returned so users can depend on them)."""
    role = aws.iam.Role(name, description=description, assume_role_policy=trust, tags=tags,
                        opts=pulumi.ResourceOptions(parent=parent))
    attachments: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy}", role=role.name, policy_arn=env.managed_policy(policy),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for policy in policies
    ]
    return role, attachments


def cluster_role(name: str, env: AwsEnv, tags: dict[str, str], parent: pulumi.Resource,
                 secrets_key: aws.kms.Key | None) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """The control plane's role; it may use the secrets key and nothing else of KMS."""
    role, deps = role_with_policies(
        name, description="EKS control plane", trust=trust_service(env.service("eks")),
        policies=CLUSTER_POLICIES, env=env, tags=tags, parent=parent,
    )
    if secrets_key is not None:
        deps.append(aws.iam.RolePolicy(
            f"{name}-secrets-key",
            role=role.id,
            policy=document({
                "Sid": "EnvelopeEncryptSecrets",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                "Resource": secrets_key.arn,
            }),
            opts=pulumi.ResourceOptions(parent=parent),
        ))
    return role, deps


def node_role(name: str, env: AwsEnv, tags: dict[str, str],
              parent: pulumi.Resource) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """The role every managed node runs as."""
    return role_with_policies(
        name, description="EKS managed nodes", trust=trust_service(env.service("ec2")),
        policies=NODE_POLICIES, env=env, tags=tags, parent=parent,
    )


def vpc_cni_role(name: str, env: AwsEnv, oidc_provider: aws.iam.OpenIdConnectProvider,
                 issuer: pulumi.Output[str], tags: dict[str, str],
                 parent: pulumi.Resource) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """IRSA role of the VPC CNI, assumable only by the kube-system/aws-node service account."""
    trust = pulumi.Output.all(oidc_provider.arn, issuer).apply(
        lambda values: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": values[0]},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {
                    f"{_issuer_host(values[1])}:sub": VPC_CNI_SERVICE_ACCOUNT,
                    f"{_issuer_host(values[1])}:aud": "sts.amazonaws.com",
                }},
            }],
        })
    )
    return role_with_policies(
        name, description="VPC CNI (IRSA, kube-system/aws-node)", trust=trust,
        policies=VPC_CNI_POLICIES, env=env, tags=tags, parent=parent,
    )


def _issuer_host(issuer: str) -> str:
    return issuer.removeprefix("https://")
