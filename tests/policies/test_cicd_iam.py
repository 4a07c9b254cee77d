"""cicd-no-iam-access-keys and cicd-oidc-trust-pinned-to-repository."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.identities import github_trust_policy
from components.runners import irsa_trust_policy
from tests.packharness import UNKNOWN, Res, analyze, violations
from tests.policies.cicd_pack import POLICIES  # noqa: F401 - puts the pack on sys.path

from cicd_baseline.iam import no_access_keys, oidc_trust_pinned  # isort: skip

PROVIDER = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
ROLE = "aws:iam/role:Role"


def _role(document: Any, as_string: bool = True) -> Res:
    return Res(ROLE, {"assumeRolePolicy": json.dumps(document) if as_string else document}, name="ci")


def _trust(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition}]}


def _oidc(res: Res, config: dict[str, Any] | None = None) -> list[str]:
    found = analyze(oidc_trust_pinned, res, config)
    return [f.message for f in violations(found, "cicd-oidc-trust-pinned-to-repository")]


def test_access_key_is_a_mandatory_violation() -> None:
    found = analyze(no_access_keys, Res("aws:iam/accessKey:AccessKey", {"user": "ci-bot"}, name="ci-key"))
    (finding,) = violations(found, "cicd-no-iam-access-keys")
    assert finding.level == "mandatory"
    assert "ci-key" in finding.message and "long-lived" in finding.message


def test_other_iam_resources_pass_the_access_key_policy() -> None:
    assert analyze(no_access_keys, Res("aws:iam/user:User", {"name": "x"})) == []


@pytest.mark.parametrize("subjects", [["repo:acme/platform:pull_request"],
                                      ["repo:acme/platform:environment:production"],
                                      ["repo:acme/platform:pull_request", "repo:acme/platform:environment:drift"]])
def test_the_components_trust_policies_pass(subjects: list[str]) -> None:
    assert _oidc(_role(github_trust_policy(PROVIDER, subjects))) == []


def test_trust_given_as_an_object_is_read_too() -> None:
    assert _oidc(_role(github_trust_policy(PROVIDER, ["repo:acme/*:pull_request"]), as_string=False))


def test_string_like_with_wildcard_after_the_repository_passes() -> None:
    condition = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                 "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/platform:*"}}
    assert _oidc(_role(_trust(condition))) == []


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}, "does not constrain"),
        ({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
          "StringLike": {"token.actions.githubusercontent.com:sub": "*"}}, "does not name one repository"),
        ({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
          "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}}, "does not name one repository"),
        ({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
          "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}}, "does not name one repository"),
        ({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
          "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*:ref:refs/heads/main"}},
         "wildcard in the owner/repo part"),
        ({"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:acme/platform:pull_request"}},
         "does not check 'token.actions.githubusercontent.com:aud'"),
        ({"StringLike": {"token.actions.githubusercontent.com:aud": "*",
                         "token.actions.githubusercontent.com:sub": "repo:acme/platform:pull_request"}},
         "does not check 'token.actions.githubusercontent.com:aud'"),
        ({"StringEquals": {"token.actions.githubusercontent.com:aud": "api://other",
                           "token.actions.githubusercontent.com:sub": "repo:acme/platform:pull_request"}},
         "accepts audience"),
        ({"StringNotEquals": {"token.actions.githubusercontent.com:sub": "repo:evil/x:pull_request"},
          "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}, "does not constrain"),
    ],
)
def test_loose_github_trust_is_a_violation(condition: dict[str, Any], expected: str) -> None:
    messages = _oidc(_role(_trust(condition)))
    assert messages, "expected a violation"
    assert any(expected in m for m in messages), messages
    assert all("Role 'ci'" in m for m in messages)


def test_missing_condition_block_is_a_violation() -> None:
    document = _trust({})
    del document["Statement"][0]["Condition"]
    messages = _oidc(_role(document))
    assert any("does not constrain" in m for m in messages)
    assert any("does not check" in m for m in messages)


def test_an_allow_listed_org_wide_subject_passes_by_config() -> None:
    condition = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                 "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*:ref:refs/heads/main"}}
    config = {"cicd-oidc-trust-pinned-to-repository": {
        "allowedSubjectPatterns": ["repo:acme/*:ref:refs/heads/main"]}}
    assert _oidc(_role(_trust(condition)), config) == []


def test_roles_trusting_other_principals_are_not_in_scope() -> None:
    irsa = irsa_trust_policy("arn:aws:iam::1:oidc-provider/oidc.eks.x/id/A", "https://oidc.eks.x/id/A", "ns", "sa")
    assert _oidc(_role(irsa)) == []
    service = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                              "Action": "sts:AssumeRole"}]}
    assert _oidc(_role(service)) == []
    assert _oidc(Res(ROLE, {"name": "no-trust-yet"})) == []


def test_an_unknown_trust_policy_is_reported_as_unknown_not_passed() -> None:
    found = analyze(oidc_trust_pinned, Res(ROLE, {"assumeRolePolicy": UNKNOWN}))
    assert violations(found, "cicd-oidc-trust-pinned-to-repository") == []
    assert any("during preview" in f.message for f in found)
