"""PipelineIdentities under mocks: the trust policies field by field, permissions, no access keys."""

from __future__ import annotations

from typing import Any

import pytest

from components.identities import (
    DENY_LONG_LIVED_CREDENTIALS,
    DENY_SELF_MODIFICATION,
    PipelineIdentities,
    PipelineIdentitiesArgs,
)
from tests.ci_mocks import ACCOUNT, RecordingMocks, build, policy

PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def _identities(cluster: str | None = None, **kwargs: Any) -> RecordingMocks:
    args = PipelineIdentitiesArgs(github_repository="acme/platform", **kwargs)
    mocks, _ = build(lambda: PipelineIdentities("ci", args, eks_cluster_name=cluster))
    return mocks


def _trust(mocks: RecordingMocks, role: str) -> dict[str, Any]:
    return policy(mocks.one("aws:iam/role:Role", role).inputs, "assumeRolePolicy")


def _only_statement(doc: dict[str, Any]) -> dict[str, Any]:
    assert doc["Version"] == "2012-10-17"
    assert len(doc["Statement"]) == 1
    statement: dict[str, Any] = doc["Statement"][0]
    return statement


def test_github_oidc_provider_has_the_sts_audience_and_no_thumbprint() -> None:
    mocks = _identities()
    provider = mocks.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "ci-github").inputs
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in provider


def test_preview_trust_allows_only_this_repositorys_pull_requests_and_the_drift_environment() -> None:
    statement = _only_statement(_trust(_identities(), "ci-preview"))
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert list(statement["Condition"]) == ["StringEquals"]
    equals = statement["Condition"]["StringEquals"]
    assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert equals["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/platform:pull_request",
        "repo:acme/platform:environment:drift",
    ]
    assert set(equals) == {"token.actions.githubusercontent.com:aud", "token.actions.githubusercontent.com:sub"}


def test_preview_trust_without_drift_environment_is_pull_requests_only() -> None:
    equals = _only_statement(_trust(_identities(drift_environment=None), "ci-preview"))["Condition"]["StringEquals"]
    assert equals["token.actions.githubusercontent.com:sub"] == ["repo:acme/platform:pull_request"]


def test_deploy_trust_allows_only_the_protected_environment() -> None:
    statement = _only_statement(_trust(_identities(), "ci-deploy"))
    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": ["repo:acme/platform:environment:production"],
        }
    }


def test_deploy_trust_can_be_bound_to_a_protected_branch_instead() -> None:
    statement = _only_statement(
        _trust(_identities(deploy_environment=None, deploy_branch="main"), "ci-deploy")
    )
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/platform:ref:refs/heads/main"
    ]


def test_existing_provider_is_used_and_none_is_created() -> None:
    existing = "arn:aws:iam::999988887777:oidc-provider/token.actions.githubusercontent.com"
    mocks = _identities(existing_oidc_provider_arn=existing)
    assert mocks.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert _only_statement(_trust(mocks, "ci-preview"))["Principal"] == {"Federated": existing}


def test_preview_role_is_read_only_without_data_reads() -> None:
    mocks = _identities(state_bucket_arn="arn:aws:s3:::acme-state", secrets_kms_key_arn="arn:aws:kms:eu-west-1:1:key/k")
    attachment = mocks.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ci-preview-readonly").inputs
    assert attachment["policyArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    doc = policy(mocks.one("aws:iam/rolePolicy:RolePolicy", "ci-preview-scope").inputs, "policy")
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert "secretsmanager:GetSecretValue" in by_sid["NoDataReads"]["Action"]
    assert by_sid["NoObjectReadsOutsideState"] == {
        "Sid": "NoObjectReadsOutsideState", "Effect": "Deny", "Action": "s3:GetObject",
        "NotResource": ["arn:aws:s3:::acme-state/*"],
    }
    # The preview writes only the stack lock, and only decrypts.
    assert by_sid["StateLocks"]["Resource"] == "arn:aws:s3:::acme-state/.pulumi/locks/*"
    assert by_sid["StateSecrets"]["Action"] == ["kms:Decrypt"]
    allowed = [s for s in doc["Statement"] if s["Effect"] == "Allow"]
    assert all(not str(a).startswith(("iam:", "eks:")) for s in allowed for a in s["Action"])


def test_deploy_role_cannot_create_keys_or_change_the_ci_identities() -> None:
    mocks = _identities(deploy_permissions_boundary_arn="arn:aws:iam::111122223333:policy/boundary")
    doc = policy(mocks.one("aws:iam/rolePolicy:RolePolicy", "ci-deploy-scope").inputs, "policy")
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["NoLongLivedCredentials"]["Effect"] == "Deny"
    assert by_sid["NoLongLivedCredentials"]["Action"] == DENY_LONG_LIVED_CREDENTIALS
    assert "iam:CreateAccessKey" in DENY_LONG_LIVED_CREDENTIALS
    roles = by_sid["NoSelfModification"]
    assert roles["Action"] == DENY_SELF_MODIFICATION
    assert roles["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:role/ci-deploy-1a2b3c",
        f"arn:aws:iam::{ACCOUNT}:role/ci-preview-1a2b3c",
    ]
    assert by_sid["NoProviderModification"]["Resource"] == PROVIDER_ARN
    assert by_sid["PassRoleToPlatformServices"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "eks.amazonaws.com", "eks-pods.amazonaws.com"]}
    }
    assert by_sid["RolesCarryTheBoundary"]["Condition"] == {
        "StringNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/boundary"}
    }
    assert "iam:PassRole" not in by_sid["PlatformIam"]["Action"]
    assert "*" not in by_sid["PlatformServices"]["Action"]


def test_no_access_keys_users_or_cluster_admin_are_created() -> None:
    mocks = _identities(cluster="platform")
    types = {r.type for r in mocks.resources}
    assert "aws:iam/accessKey:AccessKey" not in types
    assert "aws:iam/user:User" not in types
    # Only the preview role reaches the cluster, read-only.
    entry = mocks.one("aws:eks/accessEntry:AccessEntry", "ci-preview-view").inputs
    assert entry["principalArn"] == f"arn:aws:iam::{ACCOUNT}:role/ci-preview-1a2b3c"
    association = mocks.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "ci-preview-view").inputs
    assert association["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    assert association["accessScope"] == {"type": "cluster"}
    assert len(mocks.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")) == 1


def test_without_a_cluster_name_no_access_entry_exists() -> None:
    assert _identities().of_type("aws:eks/accessEntry:AccessEntry") == []


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"github_repository": "acme/*"}, "no wildcards"),
        ({"github_repository": "*"}, "no wildcards"),
        ({"github_repository": ""}, "no wildcards"),
        ({"github_repository": "acme/platform", "deploy_branch": "main"}, "exactly one of"),
        ({"github_repository": "acme/platform", "deploy_environment": None}, "exactly one of"),
        ({"github_repository": "acme/platform", "drift_environment": "production"}, "must differ"),
        ({"github_repository": "acme/platform", "deploy_extra_actions": ["iam:*"]}, "not an allowed"),
    ],
)
def test_invalid_args_are_refused(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        build(lambda: PipelineIdentities("ci", PipelineIdentitiesArgs(**kwargs)))
