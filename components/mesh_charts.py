"""Pinned Istio Helm charts and where to fetch them (one table, so an upgrade is one edit).

The version was the latest stable Istio patch release when this table was last updated
(1.30.4, 2026-08-31). All four charts ship from the same repository at the same version.
Air-gapped users override the location per chart (a mirror repository, an OCI URL or a local
path); the version stays pinned either way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from components.errors import ConfigError

ISTIO_VERSION = "1.30.4"
ISTIO_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"

# The four official charts this platform installs, by their role in ServiceMeshArgs.chart_sources.
ISTIO_CHARTS: Mapping[str, str] = {
    "base": "base",  # CRDs and the cluster-wide validation webhook
    "cni": "cni",  # node agent: pods need no NET_ADMIN init container
    "istiod": "istiod",  # control plane, installed as a revision
    "gateway": "gateway",  # ingress and (optional) egress gateways
}

_EXACT_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\Z")


@dataclass(frozen=True)
class ChartSourceOverride:
    """Where to fetch one chart instead of the official repository (air-gapped or mirrored)."""

    chart: str | None = None
    """Chart reference: a name in `repository`, an `oci://` URL or a local path (dir or .tgz)."""
    repository: str | None = None
    """Helm repository URL for a chart given by name; ignored for OCI URLs and local paths."""


@dataclass(frozen=True)
class ResolvedChart:
    """The exact arguments a `kubernetes.helm.v4.Chart` gets for one Istio chart."""

    chart: str
    version: str
    repository: str | None


def is_local_or_oci(chart: str) -> bool:
    """True when `chart` is an OCI URL or a filesystem path, which carry their own location."""
    return chart.startswith(("oci://", "./", "../", "/", "file://")) or chart.endswith(".tgz")


def resolve_chart(role: str, version: str, override: ChartSourceOverride | None = None) -> ResolvedChart:
    """The chart reference, pinned version and repository for one chart role."""
    if role not in ISTIO_CHARTS:
        raise ConfigError("mesh.chartSources", role, ", ".join(sorted(ISTIO_CHARTS)), "unknown chart")
    chart = ISTIO_CHARTS[role]
    repository: str | None = ISTIO_CHART_REPOSITORY
    if override is not None and override.chart:
        chart = override.chart
        repository = None if is_local_or_oci(chart) else (override.repository or ISTIO_CHART_REPOSITORY)
    elif override is not None and override.repository:
        repository = override.repository
    return ResolvedChart(chart=chart, version=version, repository=repository)


def is_exact_version(version: str) -> bool:
    """An exact semantic version (no range, no `v` prefix, no wildcard)."""
    return bool(_EXACT_SEMVER.match(version))


def revision_for(version: str) -> str:
    """The Istio revision name for a chart version: `1.30.4` -> `1-30` (one revision per minor)."""
    if not is_exact_version(version):
        raise ConfigError("mesh.istioVersion", version, "an exact version such as 1.30.4", "not pinned")
    major, minor, _ = version.split(".", 2)
    return f"{major}-{minor}"
