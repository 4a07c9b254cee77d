"""IAM policies: no statement allows every action on every resource (administrator access).

Checked wherever a policy document is written: managed policies, inline role/user/group
policies, and the `inlinePolicies` of a role. Documents may be JSON strings or objects; a
statement may be one object or a list; `Action` and `Resource` may be a string or a list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .meta import AwsResourcePolicy, Config
from .util import as_list, get, policy_document

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"

_ALL_ACTIONS = {"*", "*:*"}


def _admin_statements(document: Any, where: str) -> Iterator[str]:
    doc = policy_document(document)
    if doc is None:
        return
    statements = doc.get("Statement")
    single = isinstance(statements, Mapping)
    for index, statement in enumerate(as_list(statements)):
        if get(statement, "Effect") != "Allow":
            continue
        actions = {str(a).strip() for a in as_list(get(statement, "Action"))}
        resources = {str(r).strip() for r in as_list(get(statement, "Resource"))}
        if actions & _ALL_ACTIONS and "*" in resources:
            path = f"{where}.Statement" if single else f"{where}.Statement[{index}]"
            yield (
                f'{path} allows Action "*" on Resource "*" (full administrator access). List the '
                "actions this principal needs and scope Resource to their ARNs."
            )


def check_no_admin(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    if args.resource_type == ROLE:
        for index, inline in enumerate(as_list(get(args.props, "inlinePolicies"))):
            yield from _admin_statements(get(inline, "policy"), f"inlinePolicies[{index}].policy")
    else:
        yield from _admin_statements(get(args.props, "policy"), "policy")


POLICIES: list[Policy] = [
    AwsResourcePolicy(
        name="iam-no-admin-wildcard",
        description='No IAM policy allows Action "*" on Resource "*".',
        resource_types=[POLICY, ROLE, ROLE_POLICY, USER_POLICY, GROUP_POLICY],
        check=check_no_admin,
        severity=Severity.CRITICAL,
        nist="AC-6",
        sp800204="C-4.4-3",
        remediation=(
            "Replace the statement with the specific actions (e.g. 'ecr:BatchGetImage') and resource "
            "ARNs the principal needs. Break-glass administrators use the AWS-managed "
            "AdministratorAccess policy through SSO, not a policy written in this stack."
        ),
        topics=["iam", "least-privilege"],
    ),
]
