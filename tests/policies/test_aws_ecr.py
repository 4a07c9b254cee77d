"""aws-baseline: ECR repositories (immutable tags, scan on push, KMS)."""

from __future__ import annotations

from typing import Any

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze, violations

add_pack_to_path("aws-baseline")
from aws_baseline import ecr  # noqa: E402

REPOSITORY = "aws:ecr/repository:Repository"
GOOD: dict[str, Any] = {
    "imageTagMutability": "IMMUTABLE",
    "imageScanningConfiguration": {"scanOnPush": True},
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": UNKNOWN}],
}


def run(props: dict[str, Any], config: dict[str, Any] | None = None) -> list[Finding]:
    return analyze(ecr.POLICIES, Res(REPOSITORY, props, name="app"), config)


def messages(props: dict[str, Any], policy: str, config: dict[str, Any] | None = None) -> list[str]:
    return [f.message for f in violations(run(props, config), policy)]


def test_secure_repository_passes() -> None:
    assert run(GOOD) == []


def test_bare_repository_fails_all_three_with_aws_defaults_named() -> None:
    findings = run({})
    assert "unset (AWS default: MUTABLE)" in violations(findings, "ecr-immutable-tags")[0].message
    assert "scanOnPush is not true" in violations(findings, "ecr-scan-on-push")[0].message
    assert (
        "encryptionConfigurations is missing (AWS default: AES256)"
        in violations(findings, "ecr-kms-encryption")[0].message
    )


# ecr-immutable-tags


def test_mutable_tags_fail() -> None:
    [message] = messages({**GOOD, "imageTagMutability": "MUTABLE"}, "ecr-immutable-tags")
    assert "imageTagMutability is MUTABLE" in message


def test_immutable_with_exclusion_fails_unless_allowed() -> None:
    props = {
        **GOOD,
        "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
        "imageTagMutabilityExclusionFilters": [{"filter": "latest", "filterType": "WILDCARD"}],
    }
    [message] = messages(props, "ecr-immutable-tags")
    assert "tags matching ['latest'] can be overwritten" in message
    assert messages(props, "ecr-immutable-tags", {"ecr-immutable-tags": {"allowExclusions": True}}) == []


def test_mutable_with_exclusion_fails_even_when_exclusions_are_allowed() -> None:
    props = {**GOOD, "imageTagMutability": "MUTABLE_WITH_EXCLUSION"}
    config = {"ecr-immutable-tags": {"allowExclusions": True}}
    [message] = messages(props, "ecr-immutable-tags", config)
    assert "imageTagMutability is MUTABLE_WITH_EXCLUSION" in message


# ecr-scan-on-push


def test_scan_on_push_off_fails() -> None:
    [message] = messages({**GOOD, "imageScanningConfiguration": {"scanOnPush": False}}, "ecr-scan-on-push")
    assert "imageScanningConfiguration.scanOnPush is not true" in message


def test_unknown_scan_flag_is_not_runnable() -> None:
    findings = run({**GOOD, "imageScanningConfiguration": {"scanOnPush": UNKNOWN}})
    assert violations(findings, "ecr-scan-on-push") == []
    assert [f.level for f in findings] == ["advisory"]


# ecr-kms-encryption


def test_aes256_fails_and_kms_dsse_passes() -> None:
    [message] = messages(
        {**GOOD, "encryptionConfigurations": [{"encryptionType": "AES256"}]}, "ecr-kms-encryption"
    )
    assert "encryptionConfigurations[0].encryptionType is AES256" in message
    dsse = {**GOOD, "encryptionConfigurations": [{"encryptionType": "KMS_DSSE"}]}
    assert messages(dsse, "ecr-kms-encryption") == []
