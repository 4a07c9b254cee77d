"""Pinned observability Helm charts and where to fetch them (one table: an upgrade is one edit).

Versions are the latest stable releases found when this table was last updated (2026-12).
Grafana Labs moved the Loki, Tempo and Grafana charts to the community-maintained
`grafana-community` repository; Alloy stays in `grafana`. Air-gapped users override the location
per chart role (a mirror repository, an OCI URL or a local path); the version stays pinned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from components.errors import ConfigError
from components.observability_args import ChartSource


@dataclass(frozen=True)
class PinnedChart:
    """One official chart: its name in the repository, the repository, the pinned version."""

    chart: str
    repository: str
    version: str


@dataclass(frozen=True)
class ResolvedChart:
    """The exact arguments a `kubernetes.helm.v4.Chart` gets for one chart role."""

    chart: str
    version: str
    repository: str | None


PROMETHEUS_COMMUNITY = "https://prometheus-community.github.io/helm-charts"
GRAFANA = "https://grafana.github.io/helm-charts"
GRAFANA_COMMUNITY = "https://grafana-community.github.io/helm-charts"
OPEN_TELEMETRY = "https://open-telemetry.github.io/opentelemetry-helm-charts"
KIALI = "https://kiali.org/helm-charts"

CHARTS: Mapping[str, PinnedChart] = {
    # Prometheus operator, Prometheus, Alertmanager, Grafana, node-exporter, kube-state-metrics.
    "kube-prometheus-stack": PinnedChart("kube-prometheus-stack", PROMETHEUS_COMMUNITY, "94.4.0"),
    # Log store, monolithic (single binary) mode.
    "loki": PinnedChart("loki", GRAFANA_COMMUNITY, "18.11.2"),
    # Node log collector (DaemonSet).
    "alloy": PinnedChart("alloy", GRAFANA, "1.11.1"),
    # Trace store, monolithic mode.
    "tempo": PinnedChart("tempo", GRAFANA_COMMUNITY, "2.3.0"),
    # OTLP receiver the sidecars send spans to.
    "opentelemetry-collector": PinnedChart("opentelemetry-collector", OPEN_TELEMETRY, "0.184.0"),
    # Mesh topology console (server only; no operator).
    "kiali-server": PinnedChart("kiali-server", KIALI, "2.31.0"),
}


def is_local_or_oci(chart: str) -> bool:
    """True when `chart` is an OCI URL or a filesystem path, which carry their own location."""
    return chart.startswith(("oci://", "./", "../", "/", "file://")) or chart.endswith(".tgz")


def resolve_chart(role: str, override: ChartSource | None = None) -> ResolvedChart:
    """The chart reference, pinned version and repository for one chart role."""
    if role not in CHARTS:
        raise ConfigError("observability.chartSources", role, ", ".join(sorted(CHARTS)), "unknown chart")
    pinned = CHARTS[role]
    chart = pinned.chart
    repository: str | None = pinned.repository
    if override is not None and override.chart:
        chart = override.chart
        repository = None if is_local_or_oci(chart) else (override.repository or pinned.repository)
    elif override is not None and override.repository:
        repository = override.repository
    return ResolvedChart(chart=chart, version=pinned.version, repository=repository)
