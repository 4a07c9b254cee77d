"""aws-baseline: KMS key rotation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packharness import UNKNOWN, Res, add_pack_to_path, analyze, violations

add_pack_to_path("aws-baseline")
from aws_baseline import kms  # noqa: E402

KEY = "aws:kms/key:Key"


def messages(props: dict[str, Any]) -> list[str]:
    return [f.message for f in violations(analyze(kms.POLICIES, Res(KEY, props)), "kms-key-rotation")]


def test_rotation_enabled_passes() -> None:
    assert messages({"description": "eks secrets", "enableKeyRotation": True}) == []


def test_rotation_disabled_fails() -> None:
    [message] = messages({"enableKeyRotation": False})
    assert "enableKeyRotation is not true" in message


def test_missing_rotation_fails_because_aws_default_is_off() -> None:
    [message] = messages({"description": "logs"})
    assert "AWS default: false" in message


@pytest.mark.parametrize(
    "props",
    [
        {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"},
        {"customerMasterKeySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"},
        {"customKeyStoreId": "cks-1234"},
    ],
)
def test_keys_aws_cannot_rotate_are_not_checked(props: dict[str, Any]) -> None:
    assert messages(props) == []


def test_unknown_rotation_flag_is_not_a_violation() -> None:
    findings = analyze(kms.POLICIES, Res(KEY, {"enableKeyRotation": UNKNOWN}))
    assert violations(findings, "kms-key-rotation") == []
    assert [f.level for f in findings] == ["advisory"]
