"""The observability-baseline pack's policies, one module per concern."""

from __future__ import annotations

from . import grafana, signals, telemetry
from .meta import ObsPolicy

POLICIES: list[ObsPolicy] = [
    *signals.POLICIES,
    *telemetry.POLICIES,
    *grafana.POLICIES,
]

__all__ = ["POLICIES"]
