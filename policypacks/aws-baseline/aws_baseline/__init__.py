"""The aws-baseline pack's policies, one module per resource kind."""

from __future__ import annotations

from . import eks, nodes
from .meta import AwsPolicy

POLICIES: list[AwsPolicy] = [
    *eks.POLICIES,
    *nodes.POLICIES,
]

__all__ = ["POLICIES"]
