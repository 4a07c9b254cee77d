"""ArtifactRegistry under mocks: immutable, scanned, KMS-encrypted repositories with named principals."""

from __future__ import annotations

import pytest

from components.registry import (
    PULL_ACTIONS,
    PUSH_ACTIONS,
    WRITE_ACTIONS,
    ArtifactRegistry,
    ArtifactRegistryArgs,
    lifecycle_policy,
)
from tests.ci_mocks import ACCOUNT, build, policy

PUSH = f"arn:aws:iam::{ACCOUNT}:role/ci-push"
NODE = f"arn:aws:iam::{ACCOUNT}:role/eks-node"


def _registry(**kwargs: object):  # type: ignore[no-untyped-def]
    args = ArtifactRegistryArgs(repositories=["team/web", "team/api"], **kwargs)  # type: ignore[arg-type]
    return build(
        lambda: ArtifactRegistry(
            "reg", args, push_role_arns=[PUSH], pull_role_arns=[NODE], attach_push_policy_to=["ci-push"]
        )
    )


def test_repositories_are_immutable_scanned_and_kms_encrypted() -> None:
    mocks, _ = _registry()
    repos = {r.inputs["name"]: r.inputs for r in mocks.of_type("aws:ecr/repository:Repository")}
    assert sorted(repos) == ["team/api", "team/web"]
    for inputs in repos.values():
        assert inputs["imageTagMutability"] == "IMMUTABLE"
        assert inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert inputs["encryptionConfigurations"] == [
            {"encryptionType": "KMS", "kmsKey": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/reg-key"}
        ]
    key = mocks.one("aws:kms/key:Key", "reg-key").inputs
    assert key["enableKeyRotation"] is True
    assert key["deletionWindowInDays"] == 30


def test_existing_kms_key_is_used_without_creating_one() -> None:
    mocks, _ = _registry(kms_key_arn="arn:aws:kms:eu-west-1:111122223333:key/given")
    assert mocks.of_type("aws:kms/key:Key") == []
    repo = mocks.one("aws:ecr/repository:Repository", "reg-team-web").inputs
    assert repo["encryptionConfigurations"][0]["kmsKey"] == "arn:aws:kms:eu-west-1:111122223333:key/given"


def test_repository_policy_names_push_and_pull_principals_and_denies_everyone_else() -> None:
    mocks, _ = _registry()
    doc = policy(mocks.one("aws:ecr/repositoryPolicy:RepositoryPolicy", "reg-team-web-policy").inputs, "policy")
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["CiPush"] == {
        "Sid": "CiPush", "Effect": "Allow", "Principal": {"AWS": [PUSH]}, "Action": PUSH_ACTIONS,
    }
    assert by_sid["WorkloadPull"] == {
        "Sid": "WorkloadPull", "Effect": "Allow", "Principal": {"AWS": [NODE]}, "Action": PULL_ACTIONS,
    }
    service_roles = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/*"
    deny_push = by_sid["DenyPushByOthers"]
    assert deny_push["Effect"] == "Deny"
    assert deny_push["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert deny_push["Action"] == WRITE_ACTIONS
    assert deny_push["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [PUSH, service_roles]}}
    deny_pull = by_sid["DenyPullByOthers"]
    assert deny_pull["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [PUSH, NODE, service_roles]}}
    # No statement anywhere names the "*" principal.
    assert all(s["Principal"] != "*" and "*" not in str(s["Principal"]["AWS"]) for s in doc["Statement"])


def test_lifecycle_policy_expires_untagged_and_keeps_last_images() -> None:
    mocks, _ = _registry(untagged_expiry_days=7, keep_last_images=30)
    doc = policy(mocks.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "reg-team-api-lifecycle").inputs, "policy")
    assert doc == lifecycle_policy(7, 30)
    first, second = doc["rules"]
    assert first["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                                  "countNumber": 7}
    assert second["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}
    assert second["rulePriority"] > first["rulePriority"]


def test_push_role_gets_push_on_exactly_these_repositories() -> None:
    mocks, _ = _registry()
    attached = mocks.one("aws:iam/rolePolicy:RolePolicy", "reg-push-0").inputs
    assert attached["role"] == "ci-push"
    doc = policy(attached, "policy")
    login, push = doc["Statement"]
    assert login == {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    assert push["Action"] == PUSH_ACTIONS
    assert push["Resource"] == [
        f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/team/api",
        f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/team/web",
    ]


@pytest.mark.parametrize(
    ("repositories", "problem"),
    [([], "at least one repository"), (["Team/Web"], "not a valid ECR name"), (["a", "a"], "repeat")],
)
def test_invalid_args_are_refused(repositories: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        build(lambda: ArtifactRegistry("reg", ArtifactRegistryArgs(repositories=repositories),
                                       push_role_arns=[PUSH], pull_role_arns=[]))


def test_a_registry_nobody_can_push_to_is_refused() -> None:
    with pytest.raises(ValueError, match="nobody could push"):
        build(lambda: ArtifactRegistry("reg", ArtifactRegistryArgs(repositories=["x"]), push_role_arns=[],
                                       pull_role_arns=[NODE]))
