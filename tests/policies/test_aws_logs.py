"""aws-baseline: CloudWatch log group retention and encryption."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze, violations

add_pack_to_path("aws-baseline")
from aws_baseline import logs  # noqa: E402

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/abc"


def run(props: dict[str, Any], config: dict[str, Any] | None = None) -> list[Finding]:
    return analyze(logs.POLICIES, Res(LOG_GROUP, props, name="flow-logs"), config)


def messages(props: dict[str, Any], policy: str, config: dict[str, Any] | None = None) -> list[str]:
    return [f.message for f in violations(run(props, config), policy)]


def test_retained_and_encrypted_log_group_passes() -> None:
    assert run({"retentionInDays": 365, "kmsKeyId": KEY_ARN}) == []


# cloudwatch-log-retention


def test_short_retention_fails() -> None:
    [message] = messages({"retentionInDays": 30, "kmsKeyId": KEY_ARN}, "cloudwatch-log-retention")
    assert "retentionInDays is 30, below the minimum of 90" in message


def test_exact_minimum_passes() -> None:
    assert messages({"retentionInDays": 90}, "cloudwatch-log-retention") == []


@pytest.mark.parametrize("props", [{}, {"retentionInDays": 0}])
def test_never_expire_passes_by_default_and_fails_when_not_allowed(props: dict[str, Any]) -> None:
    assert messages(props, "cloudwatch-log-retention") == []
    config = {"cloudwatch-log-retention": {"allowNeverExpire": False}}
    [message] = messages(props, "cloudwatch-log-retention", config)
    assert "never expire" in message


def test_raised_minimum_makes_a_passing_retention_fail() -> None:
    config = {"cloudwatch-log-retention": {"minimumRetentionDays": 400}}
    assert messages({"retentionInDays": 365}, "cloudwatch-log-retention") == []
    [message] = messages({"retentionInDays": 365}, "cloudwatch-log-retention", config)
    assert "below the minimum of 400" in message


def test_invalid_minimum_config_fails_loudly() -> None:
    with pytest.raises(ValueError, match="minimumRetentionDays"):
        run({"retentionInDays": 365}, {"cloudwatch-log-retention": {"minimumRetentionDays": "ninety"}})


def test_unknown_retention_is_not_a_violation() -> None:
    findings = run({"retentionInDays": UNKNOWN, "kmsKeyId": KEY_ARN})
    assert violations(findings, "cloudwatch-log-retention") == []
    assert [f.level for f in findings if f.policy == "cloudwatch-log-retention"] == ["advisory"]


# cloudwatch-log-encrypted


def test_missing_kms_key_fails() -> None:
    [message] = messages({"retentionInDays": 90}, "cloudwatch-log-encrypted")
    assert "kmsKeyId is missing" in message


def test_kms_key_arn_unknown_during_preview_counts_as_set() -> None:
    assert run({"retentionInDays": 90, "kmsKeyId": UNKNOWN}) == []
