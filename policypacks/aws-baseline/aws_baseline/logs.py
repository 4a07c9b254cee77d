"""CloudWatch log groups (`aws:cloudwatch/logGroup:LogGroup`): retention and KMS encryption.

A retention of 0 or unset means "never expire". That keeps every record, which is what audit
retention asks for, so it passes unless the config says otherwise (`allowNeverExpire: false`,
for stacks that must also bound storage).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .meta import AwsResourcePolicy, Config
from .util import as_number, config_bool, config_int, get, is_set

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DEFAULT_MINIMUM_RETENTION_DAYS = 90


def check_retention(args: ResourceValidationArgs, cfg: Config) -> Iterator[str]:
    minimum = config_int(cfg, "minimumRetentionDays", minimum=1)
    never_expire_ok = config_bool(cfg, "allowNeverExpire")
    days = as_number(get(args.props, "retentionInDays"))
    if not days:
        if not never_expire_ok:
            yield (
                "retentionInDays is unset or 0 (never expire) and allowNeverExpire is false; set it "
                f"to at least {minimum}."
            )
        return
    if days < minimum:
        yield f"retentionInDays is {days:g}, below the minimum of {minimum}; set it to at least {minimum}."


def check_kms(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    if not is_set(args.props, "kmsKeyId"):
        yield (
            "kmsKeyId is missing, so the logs are encrypted only with a CloudWatch-owned key; set it "
            "to a customer-managed KMS key ARN whose key policy allows logs.<region>.amazonaws.com."
        )


POLICIES: list[Policy] = [
    AwsResourcePolicy(
        name="cloudwatch-log-retention",
        description="CloudWatch log groups keep records for at least the minimum retention.",
        resource_types=[LOG_GROUP],
        check=check_retention,
        severity=Severity.MEDIUM,
        nist="AU-11",
        sp800204="C-4.6-4",
        remediation=(
            "Set retention_in_days to at least minimumRetentionDays (default 90), using one of the "
            "values CloudWatch accepts (90, 120, 150, 180, 365, ...)."
        ),
        config={
            "minimumRetentionDays": {
                "type": "integer",
                "minimum": 1,
                "default": DEFAULT_MINIMUM_RETENTION_DAYS,
                "description": "Fewest days a log group may keep its records.",
            },
            "allowNeverExpire": {
                "type": "boolean",
                "default": True,
                "description": "Whether an unset or 0 retention (never expire) passes.",
            },
        },
        topics=["cloudwatch", "logging"],
    ),
    AwsResourcePolicy(
        name="cloudwatch-log-encrypted",
        description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
        resource_types=[LOG_GROUP],
        check=check_kms,
        severity=Severity.MEDIUM,
        nist="AU-9",
        sp800204="C-4.4-3",
        remediation=(
            "Set kms_key_id to a customer-managed aws.kms.Key (rotation on) whose key policy lets the "
            "CloudWatch Logs service principal of the region use it."
        ),
        topics=["cloudwatch", "logging", "encryption"],
    ),
]
