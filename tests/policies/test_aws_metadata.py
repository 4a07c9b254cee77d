"""aws-baseline: every policy carries the metadata the project requires, and the README lists it."""

from __future__ import annotations

import importlib
import re

import pytest
from pulumi_policy import EnforcementLevel, Policy

from tests.packharness import ROOT, add_pack_to_path

add_pack_to_path("aws-baseline")
from aws_baseline import POLICIES  # noqa: E402
from aws_baseline.meta import AwsResourcePolicy, AwsStackPolicy  # noqa: E402

README = (ROOT / "policypacks" / "aws-baseline" / "README.md").read_text()
ADVISORY_BY_NATURE = {"eks-access-entries-only"}
EXPECTED = {
    "eks-endpoint-restricted",
    "eks-secrets-encrypted",
    "eks-control-plane-logs",
    "eks-access-entries",
    "eks-access-entries-only",
    "eks-no-creator-admin",
    "eks-supported-version",
    "nodes-imdsv2-required",
    "nodes-volumes-encrypted",
    "nodes-no-ssh",
    "kms-key-rotation",
    "cloudwatch-log-retention",
    "cloudwatch-log-encrypted",
    "vpc-flow-logs",
    "sg-no-public-ingress",
    "iam-no-admin-wildcard",
    "s3-public-access-blocked",
    "s3-encrypted",
    "ecr-immutable-tags",
    "ecr-scan-on-push",
    "ecr-kms-encryption",
}


def by_name(policy: Policy) -> str:
    return policy.name


def test_pack_has_exactly_the_expected_policies_with_unique_kebab_case_names() -> None:
    names = [p.name for p in POLICIES]
    assert len(names) == len(set(names))
    assert set(names) == EXPECTED
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names)


@pytest.mark.parametrize("policy", POLICIES, ids=by_name)
def test_policy_metadata_is_complete(policy: Policy) -> None:
    assert policy.description and policy.description.endswith(".")
    assert policy.severity is not None
    framework = policy.framework
    assert framework is not None
    assert (framework.name, framework.version) == ("NIST SP 800-53", "Rev. 5")
    assert framework.reference and re.fullmatch(r"[A-Z]{2}-\d+", framework.reference)
    assert framework.specification and re.fullmatch(r"C-[\d.]+-\d+", framework.specification)
    tags = policy.tags or []
    assert f"nist-800-53:{framework.reference}" in tags
    assert f"sp-800-204:{framework.specification}" in tags
    assert policy.remediation_steps and len(policy.remediation_steps) > 40
    expected = EnforcementLevel.ADVISORY if policy.name in ADVISORY_BY_NATURE else EnforcementLevel.MANDATORY
    assert policy.enforcement_level == expected


@pytest.mark.parametrize("policy", POLICIES, ids=by_name)
def test_config_schema_properties_are_typed_and_have_defaults(policy: Policy) -> None:
    schema = policy.config_schema
    for key, spec in (schema.properties if schema else {}).items():
        assert "type" in spec, key
        assert "default" in spec, key
        assert spec.get("description"), key


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # importing pulumi_aws.s3 warns about V2 types
@pytest.mark.parametrize("policy", POLICIES, ids=by_name)
def test_resource_types_are_real_pulumi_aws_tokens(policy: Policy) -> None:
    assert isinstance(policy, AwsResourcePolicy | AwsStackPolicy)
    assert policy.resource_types
    for token in policy.resource_types:
        match = re.fullmatch(r"aws:(\w+)/\w+:(\w+)", token)
        assert match, token
        module = importlib.import_module(f"pulumi_aws.{match.group(1)}")
        assert getattr(module, match.group(2)).pulumi_type == token


@pytest.mark.parametrize("policy", POLICIES, ids=by_name)
def test_readme_row_documents_the_policy(policy: Policy) -> None:
    [row] = [line for line in README.splitlines() if line.startswith(f"| `{policy.name}` |")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert policy.severity is not None and policy.enforcement_level is not None and policy.framework
    assert cells[2] == policy.severity.value
    assert cells[3] == policy.enforcement_level.value
    assert cells[6] == policy.framework.reference
    assert cells[7] == policy.framework.specification
    for key in policy.config_schema.properties if policy.config_schema else {}:
        assert f"`{key}`" in cells[5]
