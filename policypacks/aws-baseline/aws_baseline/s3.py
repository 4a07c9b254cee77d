"""S3 buckets (stack policies): public access blocked and default encryption, paired by bucket.

Since 2023 AWS blocks public access and applies SSE-S3 on new buckets by default. These policies
still ask for the settings in code: an explicit `BucketPublicAccessBlock` cannot drift silently
(SP 800-204C C-4.3-2), and the encryption policy asks for KMS unless the config allows AES256.
An `AccountPublicAccessBlock` in the stack with all four flags on covers every bucket.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Policy, PolicyResource, Severity, StackValidationArgs

from .graph import Deferred, group_by_target, of_types
from .meta import AwsStackPolicy, Config
from .util import as_list, config_strings, get, is_true

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SSE_V2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"

FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
ALGORITHMS = ("aws:kms", "aws:kms:dsse", "AES256")
_BUCKET_IDS = ("bucket", "id")


def _flags_off(block: PolicyResource) -> list[str]:
    """Flags not set to true (unset means false for these resources)."""
    return [flag for flag in FLAGS if not is_true(block.props.get(flag))]


def _no_block(bucket: PolicyResource) -> str:
    return (
        f"bucket '{bucket.name}' has no {PUBLIC_ACCESS_BLOCK} in the stack, so its public access "
        "setting is not managed in code. Add one with all four flags true and bucket=bucket.id."
    )


def _weak_block(block: PolicyResource, bucket: PolicyResource, off: list[str]) -> str:
    return (
        f"public access block '{block.name}' for bucket '{bucket.name}' does not set "
        f"{', '.join(off)} to true (unset means false); set all four flags to true."
    )


def check_public_access(args: StackValidationArgs, _cfg: Config) -> Iterator[tuple[str, str]]:
    buckets = of_types(args, BUCKET, BUCKET_V2)
    if not buckets or any(not _flags_off(a) for a in of_types(args, ACCOUNT_PUBLIC_ACCESS_BLOCK)):
        return
    deferred = Deferred()
    blocks = group_by_target(of_types(args, PUBLIC_ACCESS_BLOCK), "bucket", buckets, _BUCKET_IDS, deferred)
    undecided = deferred.error
    for bucket in buckets:
        if not blocks[bucket.urn]:
            if undecided is None:
                yield bucket.urn, _no_block(bucket)
            continue
        for block in blocks[bucket.urn]:
            with deferred.guard():
                off = _flags_off(block)
                if off:
                    yield block.urn, _weak_block(block, bucket, off)
    deferred.raise_if_any()


def _inline_algorithms(bucket: PolicyResource) -> list[tuple[str, str]]:
    """(field path, sseAlgorithm) from the bucket's own, deprecated, encryption inputs."""
    props = bucket.props
    if bucket.resource_type == BUCKET:
        path = "serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.sseAlgorithm"
        value = get(props, path)
        return [(path, value)] if value else []
    found = []
    for c, config in enumerate(as_list(get(props, "serverSideEncryptionConfigurations"))):
        for r, rule in enumerate(as_list(get(config, "rules"))):
            for d, default in enumerate(as_list(get(rule, "applyServerSideEncryptionByDefaults"))):
                value = get(default, "sseAlgorithm")
                if value:
                    path = (
                        f"serverSideEncryptionConfigurations[{c}].rules[{r}]."
                        f"applyServerSideEncryptionByDefaults[{d}].sseAlgorithm"
                    )
                    found.append((path, value))
    return found


def _resource_algorithms(sse: PolicyResource) -> list[tuple[str, str]]:
    found = []
    for index, rule in enumerate(as_list(get(sse.props, "rules"))):
        value = get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm")
        if value:
            path = f"{sse.name}: rules[{index}].applyServerSideEncryptionByDefault.sseAlgorithm"
            found.append((path, value))
    return found


def _unencrypted(bucket: PolicyResource, allowed: frozenset[str]) -> str:
    return (
        f"bucket '{bucket.name}' has no server-side encryption configuration, so only the S3 default "
        f"SSE-S3 (AES256) applies, which allowedAlgorithms ({', '.join(sorted(allowed))}) does not "
        'include. Add a BucketServerSideEncryptionConfiguration with sseAlgorithm "aws:kms" and a '
        "customer-managed kmsMasterKeyId."
    )


def _wrong_algorithm(bucket: PolicyResource, path: str, algorithm: str, allowed: frozenset[str]) -> str:
    return (
        f"bucket '{bucket.name}': {path} is {algorithm}, not one of {', '.join(sorted(allowed))}; "
        'use "aws:kms" with a customer-managed key.'
    )


def check_encryption(args: StackValidationArgs, cfg: Config) -> Iterator[tuple[str, str]]:
    allowed = config_strings(cfg, "allowedAlgorithms", ALGORITHMS)
    buckets = of_types(args, BUCKET, BUCKET_V2)
    if not buckets:
        return
    deferred = Deferred()
    configs = group_by_target(of_types(args, SSE, SSE_V2), "bucket", buckets, _BUCKET_IDS, deferred)
    undecided = deferred.error
    for bucket in buckets:
        with deferred.guard():
            found = _inline_algorithms(bucket)
            for sse in configs[bucket.urn]:
                found += _resource_algorithms(sse)
            if not found and undecided is None and "AES256" not in allowed:
                yield bucket.urn, _unencrypted(bucket, allowed)
            for path, algorithm in found:
                if algorithm not in allowed:
                    yield bucket.urn, _wrong_algorithm(bucket, path, algorithm, allowed)
    deferred.raise_if_any()


POLICIES: list[Policy] = [
    AwsStackPolicy(
        name="s3-public-access-blocked",
        description="Every S3 bucket has a public access block with all four flags on.",
        resource_types=[BUCKET, BUCKET_V2, PUBLIC_ACCESS_BLOCK, ACCOUNT_PUBLIC_ACCESS_BLOCK],
        check=check_public_access,
        severity=Severity.HIGH,
        nist="AC-3",
        sp800204="C-4.4-3",
        remediation=(
            "For each bucket add aws.s3.BucketPublicAccessBlock(bucket=bucket.id, "
            "block_public_acls=True, block_public_policy=True, ignore_public_acls=True, "
            "restrict_public_buckets=True), or one aws.s3.AccountPublicAccessBlock with all four on."
        ),
        topics=["s3", "data-protection"],
    ),
    AwsStackPolicy(
        name="s3-encrypted",
        description="Every S3 bucket has default encryption with an allowed algorithm (KMS by default).",
        resource_types=[BUCKET, BUCKET_V2, SSE, SSE_V2],
        check=check_encryption,
        severity=Severity.MEDIUM,
        nist="SC-28",
        sp800204="C-4.4-3",
        remediation=(
            "For each bucket add aws.s3.BucketServerSideEncryptionConfiguration(bucket=bucket.id, "
            "rules=[{'apply_server_side_encryption_by_default': {'sse_algorithm': 'aws:kms', "
            "'kms_master_key_id': key.arn}, 'bucket_key_enabled': True}])."
        ),
        config={
            "allowedAlgorithms": {
                "type": "array",
                "items": {"type": "string", "enum": list(ALGORITHMS)},
                "minItems": 1,
                "default": ["aws:kms", "aws:kms:dsse"],
                "description": "Accepted sseAlgorithm values; add AES256 to accept SSE-S3.",
            }
        },
        topics=["s3", "encryption"],
    ),
]
