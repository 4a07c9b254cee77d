"""The aws-baseline pack's policies, one module per resource kind."""

from __future__ import annotations

from pulumi_policy import Policy

from . import ecr, eks, iam, kms, logs, nodes, s3, security_groups, vpc

POLICIES: list[Policy] = [
    *eks.POLICIES,
    *nodes.POLICIES,
    *kms.POLICIES,
    *logs.POLICIES,
    *vpc.POLICIES,
    *security_groups.POLICIES,
    *iam.POLICIES,
    *s3.POLICIES,
    *ecr.POLICIES,
]

__all__ = ["POLICIES"]
