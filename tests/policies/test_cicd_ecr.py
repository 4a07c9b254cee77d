"""cicd-ecr-immutable-and-scanned, cicd-ecr-policy-explicit-principals, cicd-ecr-repository-has-policy."""

from __future__ import annotations

import json
from typing import Any

from components.registry import repository_policy
from tests.packharness import UNKNOWN, Res, analyze, analyze_stack, violations
from tests.policies.cicd_pack import analyze_linked_stack

from cicd_baseline.ecr import ecr_explicit_principals, ecr_has_policy, ecr_immutable_scanned  # isort: skip

REPO = "aws:ecr/repository:Repository"
POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
GOOD_REPO = {"name": "shop/web", "imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}}


def _repo_messages(props: dict[str, Any]) -> list[str]:
    found = analyze(ecr_immutable_scanned, Res(REPO, props, name="web"))
    return [f.message for f in violations(found, "cicd-ecr-immutable-and-scanned")]


def test_immutable_scanned_repository_passes() -> None:
    assert _repo_messages(GOOD_REPO) == []


def test_mutable_tags_are_a_violation() -> None:
    (message,) = _repo_messages({**GOOD_REPO, "imageTagMutability": "MUTABLE"})
    assert "imageTagMutability MUTABLE" in message


def test_missing_settings_are_the_insecure_aws_defaults() -> None:
    messages = _repo_messages({"name": "shop/web"})
    assert len(messages) == 2
    assert any("MUTABLE" in m for m in messages) and any("scan on push" in m for m in messages)


def test_scan_on_push_off_is_a_violation() -> None:
    (message,) = _repo_messages({**GOOD_REPO, "imageScanningConfiguration": {"scanOnPush": False}})
    assert "scanOnPush" in message


def _policy_messages(document: dict[str, Any]) -> list[str]:
    found = analyze(ecr_explicit_principals, Res(POLICY, {"repository": "shop/web", "policy": json.dumps(document)}))
    return [f.message for f in violations(found, "cicd-ecr-policy-explicit-principals")]


def test_the_registry_components_policy_passes() -> None:
    document = repository_policy("111122223333", ["arn:aws:iam::111122223333:role/push"],
                                 ["arn:aws:iam::111122223333:role/node"])
    assert _policy_messages(document) == []


def test_allow_for_everyone_is_a_violation() -> None:
    for principal in ("*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::1:role/a", "*"]}):
        document = {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "ecr:*"}]}
        (message,) = _policy_messages(document)
        assert "Statement[0] allows every principal" in message


def test_deny_for_everyone_is_not_a_grant() -> None:
    document = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "ecr:PutImage"}]}
    assert _policy_messages(document) == []


def test_every_repository_needs_a_policy() -> None:
    repo = Res(REPO, GOOD_REPO, name="web")
    orphan = Res(REPO, {**GOOD_REPO, "name": "shop/api"}, name="api")
    linked = Res(POLICY, {"repository": "shop/web", "policy": "{}"}, name="web-policy")
    found = violations(analyze_stack(ecr_has_policy, [repo, orphan, linked]), "cicd-ecr-repository-has-policy")
    assert [f.urn for f in found] == [orphan.urn]
    assert "has no repository policy" in found[0].message


def test_a_policy_linked_by_property_dependency_covers_its_repository() -> None:
    repo = Res(REPO, {"imageTagMutability": "IMMUTABLE"}, name="web")  # autonamed: no name input
    policy = Res(POLICY, {"repository": UNKNOWN, "policy": "{}"}, name="web-policy")
    found = analyze_linked_stack(ecr_has_policy, [repo, policy], {"web-policy": {"repository": [repo.urn]}})
    assert violations(found, "cicd-ecr-repository-has-policy") == []
    unlinked = analyze_linked_stack(ecr_has_policy, [repo, policy], {})
    assert [f.urn for f in violations(unlinked, "cicd-ecr-repository-has-policy")] == [repo.urn]


def test_no_repositories_no_findings() -> None:
    assert analyze_stack(ecr_has_policy, [Res("aws:s3/bucket:Bucket", {})]) == []
