"""The aws-baseline pack's policies, one module per resource kind."""

from __future__ import annotations

from . import eks
from .meta import AwsPolicy

POLICIES: list[AwsPolicy] = [
    *eks.POLICIES,
]

__all__ = ["POLICIES"]
