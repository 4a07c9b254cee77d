"""IAM: no long-lived access keys; GitHub OIDC trust pinned to a repository (C-4.6-2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from cicd_baseline.docs import as_list, policy_document, statements
from cicd_baseline.meta import compliance

GITHUB_HOST = "token.actions.githubusercontent.com"
AUD_KEY = f"{GITHUB_HOST}:aud"
SUB_KEY = f"{GITHUB_HOST}:sub"
# repo:<owner>/<repo>:<context>, where owner and repo are literal names.
_REPO_SUBJECT = re.compile(r"^repo:([^/:]+)/([^/:]+):(.+)$")
_WILDCARDS = ("*", "?")


def _no_access_keys(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "aws:iam/accessKey:AccessKey":
        report(
            f"aws:iam/accessKey '{args.name}' creates a long-lived access key. CI and workloads must use "
            "short-lived federated credentials: GitHub OIDC roles (PipelineIdentities) or IRSA/Pod Identity."
        )


no_access_keys = ResourceValidationPolicy(
    name="cicd-no-iam-access-keys",
    description="The stack creates no IAM access keys: CI and workloads authenticate with short-lived "
    "federated credentials only.",
    validate=_no_access_keys,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Delete the aws.iam.AccessKey. Give the pipeline a role assumed through GitHub OIDC "
    "(components.identities.PipelineIdentities) and give pods IRSA or EKS Pod Identity roles.",
    **compliance("IA-5", "C-4.6-2", "iam", "credentials"),
)


def _conditions(statement: Mapping[str, Any], key: str) -> dict[str, list[Any]]:
    """Operator -> values for one condition key (e.g. {"StringEquals": [...], "StringLike": [...]})."""
    found: dict[str, list[Any]] = {}
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return found
    for operator, block in condition.items():
        if isinstance(block, Mapping) and key in block:
            found[str(operator)] = as_list(block[key])
    return found


def _trusts_github(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    federated = as_list(principal.get("Federated")) if isinstance(principal, Mapping) else []
    return any(isinstance(f, str) and GITHUB_HOST in f for f in federated)


def github_trust_problems(
    statement: Mapping[str, Any], allowed_subjects: set[str], allowed_audiences: set[str]
) -> list[str]:
    """What is wrong with one Allow statement that trusts GitHub's OIDC provider."""
    problems: list[str] = []
    aud = _conditions(statement, AUD_KEY)
    aud_values = aud.get("StringEquals", [])
    if not aud_values:
        problems.append(f"does not check '{AUD_KEY}' with StringEquals")
    elif not set(aud_values) <= allowed_audiences:
        problems.append(f"accepts audience(s) {sorted(set(aud_values) - allowed_audiences)} for '{AUD_KEY}'")
    sub = _conditions(statement, SUB_KEY)
    constraining = {op: v for op, v in sub.items() if op.split(":")[-1] in ("StringEquals", "StringLike")}
    if not constraining:
        problems.append(f"does not constrain '{SUB_KEY}' (any repository on GitHub could assume the role)")
    for values in constraining.values():
        for value in values:
            if value in allowed_subjects:
                continue
            match = _REPO_SUBJECT.match(value) if isinstance(value, str) else None
            if match is None:
                problems.append(f"'{SUB_KEY}' value {value!r} does not name one repository (repo:<owner>/<repo>:...)")
            elif any(w in match.group(1) + match.group(2) for w in _WILDCARDS):
                problems.append(f"'{SUB_KEY}' value {value!r} uses a wildcard in the owner/repo part")
    return problems


def _oidc_trust(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "aws:iam/role:Role":
        return
    document = policy_document(args.props.get("assumeRolePolicy"))
    if document is None:
        return
    config = args.get_config()
    allowed_subjects = set(config.get("allowedSubjectPatterns") or [])
    allowed_audiences = set(config.get("allowedAudiences") or ["sts.amazonaws.com"])
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow" or not _trusts_github(statement):
            continue
        for problem in github_trust_problems(statement, allowed_subjects, allowed_audiences):
            report(f"Role '{args.name}' assumeRolePolicy Statement[{index}] {problem}. Set Condition.StringEquals "
                   f"{{'{AUD_KEY}': 'sts.amazonaws.com', '{SUB_KEY}': 'repo:<owner>/<repo>:pull_request' or "
                   "'repo:<owner>/<repo>:environment:<env>'}.")


oidc_trust_pinned = ResourceValidationPolicy(
    name="cicd-oidc-trust-pinned-to-repository",
    description="Roles trusted by GitHub Actions OIDC check the audience and constrain the subject to one "
    "repository: no missing sub condition, no '*', 'repo:*' or 'repo:<org>/*' unless allow-listed.",
    validate=_oidc_trust,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedSubjectPatterns": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Exact sub condition values accepted even with wildcards "
                "(e.g. 'repo:acme/*:ref:refs/heads/main' for an approved org-wide role).",
            },
            "allowedAudiences": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["sts.amazonaws.com"],
                "description": "Accepted values of the aud condition.",
            },
        }
    ),
    remediation_steps="In the role's trust policy add Condition.StringEquals with "
    "'token.actions.githubusercontent.com:aud' = 'sts.amazonaws.com' and "
    "'token.actions.githubusercontent.com:sub' = 'repo:<owner>/<repo>:pull_request' (preview) or "
    "'repo:<owner>/<repo>:environment:<protected env>' (deploy). Never use '*' for the owner or repository.",
    **compliance("AC-6", "C-4.6-2", "iam", "oidc"),
)
