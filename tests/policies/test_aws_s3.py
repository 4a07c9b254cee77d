"""aws-baseline: S3 public access blocks and encryption (stack policies pairing buckets)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze_stack, violations

add_pack_to_path("aws-baseline")
from aws_baseline import s3  # noqa: E402

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SSE_V2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
ALL_ON = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
PUBLIC = "s3-public-access-blocked"
ENCRYPTED = "s3-encrypted"

BUCKET_RES = Res(BUCKET, {"forceDestroy": False}, name="evidence")


def attached(type_: str, props: dict[str, Any], name: str, to: Res = BUCKET_RES) -> Res:
    """A resource whose `bucket` input is the (unknown) id of `to`, as in a preview of a new stack."""
    return Res(
        type_,
        {"bucket": UNKNOWN, **props},
        name=name,
        dependencies=[to.urn],
        property_dependencies={"bucket": [to.urn]},
    )


def kms_rules(algorithm: str = "aws:kms") -> dict[str, Any]:
    return {
        "rules": [
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm, "kmsMasterKeyId": UNKNOWN}}
        ]
    }


def run(*resources: Res, config: dict[str, Any] | None = None) -> list[Finding]:
    return analyze_stack(s3.POLICIES, resources, config)


def test_bucket_with_block_and_kms_encryption_passes() -> None:
    assert (
        run(BUCKET_RES, attached(PAB, ALL_ON, "evidence-pab"), attached(SSE, kms_rules(), "evidence-sse"))
        == []
    )


# s3-public-access-blocked


def test_bucket_without_public_access_block_fails_on_the_bucket() -> None:
    [finding] = violations(run(BUCKET_RES, attached(SSE, kms_rules(), "sse")), PUBLIC)
    assert finding.urn == BUCKET_RES.urn
    assert "bucket 'evidence' has no aws:s3/bucketPublicAccessBlock" in finding.message


def test_block_with_flags_off_or_missing_fails_on_the_block() -> None:
    block = attached(
        PAB, {"blockPublicAcls": True, "blockPublicPolicy": True, "restrictPublicBuckets": False}, "pab"
    )
    [finding] = violations(run(BUCKET_RES, block, attached(SSE, kms_rules(), "sse")), PUBLIC)
    assert finding.urn == block.urn
    assert "does not set ignorePublicAcls, restrictPublicBuckets to true" in finding.message


def test_account_level_block_covers_every_bucket() -> None:
    account = Res(ACCOUNT_PAB, ALL_ON, name="account")
    assert violations(run(BUCKET_RES, account), PUBLIC) == []
    weak = Res(ACCOUNT_PAB, {**ALL_ON, "restrictPublicBuckets": False}, name="account")
    assert len(violations(run(BUCKET_RES, weak), PUBLIC)) == 1


def test_known_bucket_names_pair_without_dependencies() -> None:
    bucket = Res(BUCKET_V2, {"bucket": "evidence-123"}, name="evidence")
    block = Res(PAB, {"bucket": "evidence-123", **ALL_ON}, name="pab")
    assert violations(run(bucket, block), PUBLIC) == []


def test_blocks_pair_by_property_dependencies_when_dependencies_are_ambiguous() -> None:
    other = Res(BUCKET, {}, name="other")
    both = [BUCKET_RES.urn, other.urn]
    weak = Res(
        PAB,
        {"bucket": UNKNOWN},
        name="weak",
        dependencies=both,
        property_dependencies={"bucket": [other.urn]},
    )
    good = Res(PAB, {"bucket": UNKNOWN, **ALL_ON}, name="good", dependencies=both)
    good.property_dependencies["bucket"] = [BUCKET_RES.urn]
    [finding] = violations(run(BUCKET_RES, other, good, weak), PUBLIC)
    assert finding.urn == weak.urn
    assert "for bucket 'other'" in finding.message


def test_block_for_an_unknown_bucket_makes_the_policy_not_runnable() -> None:
    findings = run(BUCKET_RES, Res(PAB, {"bucket": UNKNOWN, **ALL_ON}, name="pab"))
    assert violations(findings, PUBLIC) == []
    assert [f.level for f in findings if f.policy == PUBLIC] == ["advisory"]


def test_stack_without_buckets_passes() -> None:
    assert run(Res(PAB, {"bucket": UNKNOWN}, name="pab"), Res(SSE, {"bucket": UNKNOWN}, name="sse")) == []


# s3-encrypted


def test_bucket_without_encryption_config_fails_unless_aes256_is_allowed() -> None:
    resources = (BUCKET_RES, attached(PAB, ALL_ON, "pab"))
    [finding] = violations(run(*resources), ENCRYPTED)
    assert finding.urn == BUCKET_RES.urn
    assert "no server-side encryption configuration" in finding.message
    allow_sse_s3 = {ENCRYPTED: {"allowedAlgorithms": ["aws:kms", "AES256"]}}
    assert violations(run(*resources, config=allow_sse_s3), ENCRYPTED) == []


def test_sse_s3_configuration_fails_by_default() -> None:
    sse = attached(SSE_V2, kms_rules("AES256"), "sse")
    [finding] = violations(run(BUCKET_RES, attached(PAB, ALL_ON, "pab"), sse), ENCRYPTED)
    assert "sse: rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is AES256" in finding.message


def test_inline_bucket_encryption_counts() -> None:
    inline = {
        "serverSideEncryptionConfiguration": {
            "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}
        }
    }
    assert violations(run(Res(BUCKET, inline, name="b")), ENCRYPTED) == []


def test_inline_bucket_v2_encryption_is_judged() -> None:
    inline = {
        "serverSideEncryptionConfigurations": [
            {"rules": [{"applyServerSideEncryptionByDefaults": [{"sseAlgorithm": "AES256"}]}]}
        ]
    }
    [finding] = violations(run(Res(BUCKET_V2, inline, name="b")), ENCRYPTED)
    assert (
        "serverSideEncryptionConfigurations[0].rules[0].applyServerSideEncryptionByDefaults[0]"
        in finding.message
    )


def test_unknown_algorithm_is_not_runnable() -> None:
    findings = run(BUCKET_RES, attached(PAB, ALL_ON, "pab"), attached(SSE, kms_rules(UNKNOWN), "sse"))
    assert violations(findings, ENCRYPTED) == []
    assert [f.level for f in findings if f.policy == ENCRYPTED] == ["advisory"]


def test_invalid_algorithm_config_fails_loudly() -> None:
    with pytest.raises(ValueError, match="allowedAlgorithms"):
        run(BUCKET_RES, config={ENCRYPTED: {"allowedAlgorithms": ["none"]}})
