"""aws-baseline: no IAM policy allows every action on every resource."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze, violations

add_pack_to_path("aws-baseline")
from aws_baseline import iam  # noqa: E402

POLICY = "iam-no-admin-wildcard"
ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}
SCOPED = {
    "Effect": "Allow",
    "Action": ["ecr:BatchGetImage"],
    "Resource": "arn:aws:ecr:eu-west-1:1:repository/app",
}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def run(type_: str, props: dict[str, Any]) -> list[Finding]:
    return analyze(iam.POLICIES, Res(type_, props, name="ci"))


def messages(type_: str, props: dict[str, Any]) -> list[str]:
    return [f.message for f in violations(run(type_, props), POLICY)]


@pytest.mark.parametrize(
    "type_",
    [
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    ],
)
def test_scoped_policy_passes_and_admin_statement_fails(type_: str) -> None:
    assert messages(type_, {"policy": doc(SCOPED)}) == []
    [message] = messages(type_, {"policy": doc(SCOPED, ADMIN)})
    assert 'policy.Statement[1] allows Action "*" on Resource "*"' in message


def test_policy_given_as_an_object_is_checked() -> None:
    props = {"policy": {"Version": "2012-10-17", "Statement": [ADMIN]}}
    [message] = messages("aws:iam/policy:Policy", props)
    assert "policy.Statement[0]" in message


def test_single_statement_object_and_action_lists_are_understood() -> None:
    statement = {"Effect": "Allow", "Action": ["s3:GetObject", "*:*"], "Resource": ["arn:x", "*"]}
    props = {"policy": json.dumps({"Version": "2012-10-17", "Statement": statement})}
    [message] = messages("aws:iam/policy:Policy", props)
    assert "policy.Statement allows" in message


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    ],
)
def test_deny_or_scoped_wildcards_are_not_admin(statement: dict[str, Any]) -> None:
    assert messages("aws:iam/policy:Policy", {"policy": doc(statement)}) == []


def test_role_inline_policies_are_checked() -> None:
    props = {
        "assumeRolePolicy": doc(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "x"}}
        ),
        "inlinePolicies": [{"name": "ok", "policy": doc(SCOPED)}, {"name": "admin", "policy": doc(ADMIN)}],
    }
    [message] = messages("aws:iam/role:Role", props)
    assert "inlinePolicies[1].policy.Statement[0]" in message


def test_missing_and_malformed_documents_pass() -> None:
    assert messages("aws:iam/role:Role", {"assumeRolePolicy": "{}"}) == []
    assert messages("aws:iam/policy:Policy", {"policy": "not json"}) == []


def test_unknown_policy_document_is_reported_as_not_runnable() -> None:
    findings = run("aws:iam/rolePolicy:RolePolicy", {"policy": UNKNOWN, "role": UNKNOWN})
    assert violations(findings, POLICY) == []
    assert [f.level for f in findings] == ["advisory"]


def test_unknown_resource_arns_in_an_object_document_are_not_runnable() -> None:
    props = {
        "policy": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": UNKNOWN}],
        }
    }
    findings = run("aws:iam/policy:Policy", props)
    assert violations(findings, POLICY) == []
    assert [f.level for f in findings] == ["advisory"]
