"""The account, partition and region a component deploys into, and IAM/KMS policy documents.

Components build ARNs and service principals from these lookups rather than hard-coding
`arn:aws:` and `amazonaws.com`, so the same code works in GovCloud (`aws-us-gov`) and China.
Policy documents are plain dicts serialised with `Output.json_dumps` (no getPolicyDocument
invoke: fewer moving parts, and the JSON is visible to policy packs as written).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

PolicyDocument = dict[str, Any]


@dataclass(frozen=True)
class AwsEnv:
    """Where resources land: account id, partition, its DNS suffix and the region."""

    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    dns_suffix: pulumi.Output[str]
    region: pulumi.Output[str]

    @staticmethod
    def lookup(parent: pulumi.Resource) -> AwsEnv:
        """Ask the provider the component uses (three invokes, no resources)."""
        opts = pulumi.InvokeOutputOptions(parent=parent)
        identity = aws.get_caller_identity_output(opts=opts)
        partition = aws.get_partition_output(opts=opts)
        region = aws.get_region_output(opts=opts)
        return AwsEnv(
            account_id=identity.account_id,
            partition=partition.partition,
            dns_suffix=partition.dns_suffix,
            region=region.region,
        )

    def service(self, name: str) -> pulumi.Output[str]:
        """A service principal, e.g. `eks.amazonaws.com`."""
        return pulumi.Output.concat(name, ".", self.dns_suffix)

    def regional_service(self, name: str) -> pulumi.Output[str]:
        """A regional service principal, e.g. `logs.us-east-1.amazonaws.com`."""
        return pulumi.Output.concat(name, ".", self.region, ".", self.dns_suffix)

    def arn(self, service: str, resource: str, *, regional: bool = True,
            account: bool = True) -> pulumi.Output[str]:
        """An ARN in this account/region, e.g. arn("logs", "log-group:/aws/eks/x/cluster")."""
        return pulumi.Output.concat(
            "arn:", self.partition, ":", service, ":", self.region if regional else "", ":",
            self.account_id if account else "", ":", resource,
        )

    def managed_policy(self, name: str) -> pulumi.Output[str]:
        """The ARN of an AWS managed IAM policy."""
        return pulumi.Output.concat("arn:", self.partition, ":iam::aws:policy/", name)

    @property
    def account_root(self) -> pulumi.Output[str]:
        """The account principal; in a key policy it delegates access control to IAM."""
        return pulumi.Output.concat("arn:", self.partition, ":iam::", self.account_id, ":root")


def document(*statements: PolicyDocument) -> pulumi.Output[str]:
    """An IAM/KMS policy document as JSON (statements may hold Outputs)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_service(principal: pulumi.Input[str], *,
                  conditions: PolicyDocument | None = None) -> pulumi.Output[str]:
    """A role trust policy that lets one AWS service assume the role."""
    statement: PolicyDocument = {
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    if conditions:
        statement["Condition"] = conditions
    return document(statement)


def key_admin_statement(env: AwsEnv) -> PolicyDocument:
    """The account (through IAM policies) administers and uses the key: AWS's default statement,
    written out so the key policy is reviewable and other statements can sit next to it."""
    return {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": env.account_root},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_key_policy(env: AwsEnv, log_group_arns: Sequence[pulumi.Input[str]]) -> pulumi.Output[str]:
    """A key policy for CloudWatch Logs encryption, limited to the named log groups."""
    return document(
        key_admin_statement(env),
        {
            "Sid": "CloudWatchLogsEncryptsTheseGroups",
            "Effect": "Allow",
            "Principal": {"Service": env.regional_service("logs")},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                       "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": list(log_group_arns)}},
        },
    )
