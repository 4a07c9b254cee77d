"""KMS keys (`aws:kms/key:Key`): automatic rotation of symmetric encryption keys."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .meta import AwsResourcePolicy, Config
from .util import get, is_true

KEY = "aws:kms/key:Key"


def _rotatable(args: ResourceValidationArgs) -> bool:
    """AWS rotates only symmetric encryption keys in the default key store."""
    spec = get(args.props, "customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = get(args.props, "keyUsage") or "ENCRYPT_DECRYPT"
    external_store = get(args.props, "customKeyStoreId") or get(args.props, "xksKeyId")
    return spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT" and not external_store


def check_rotation(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    if _rotatable(args) and not is_true(get(args.props, "enableKeyRotation")):
        yield (
            "enableKeyRotation is not true on a symmetric encryption key (AWS default: false); "
            "set it to true (rotationPeriodInDays defaults to 365)."
        )


POLICIES: list[Policy] = [
    AwsResourcePolicy(
        name="kms-key-rotation",
        description="Symmetric KMS keys have automatic key rotation enabled.",
        resource_types=[KEY],
        check=check_rotation,
        severity=Severity.MEDIUM,
        nist="SC-12",
        sp800204="C-4.4-3",
        remediation=(
            "Set enable_key_rotation=True on every symmetric aws.kms.Key (asymmetric, HMAC and "
            "custom-key-store keys cannot be rotated by AWS and are not checked)."
        ),
        topics=["kms", "encryption"],
    ),
]
