"""The aws-baseline pack's policies, one module per resource kind."""

from __future__ import annotations

from . import eks, kms, logs, nodes
from .meta import AwsPolicy

POLICIES: list[AwsPolicy] = [
    *eks.POLICIES,
    *nodes.POLICIES,
    *kms.POLICIES,
    *logs.POLICIES,
]

__all__ = ["POLICIES"]
