"""Where a Helm chart comes from: the pinned upstream default or an air-gapped override.

Every chart the CI components install is pinned to an exact version. Teams without internet
access point the same chart at their own mirror: an `oci://` reference in an internal registry,
a chart name in an internal HTTPS Helm repository, or a chart archive or directory on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi_kubernetes as k8s

# A chart version is exact semver (no ranges such as "^1.2" or "1.x": a range is not a pin).
_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?\Z")

# Labels that make a namespace enforce, audit and warn on Pod Security "restricted" (AHLC-SR-1,
# C-4.4-3 container policies).
PSS_RESTRICTED_LABELS: dict[str, str] = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def is_exact_version(version: str) -> bool:
    return bool(_EXACT_VERSION.match(version))


@dataclass(frozen=True)
class ChartSource:
    """A Helm chart at a pinned version, from upstream or a mirror."""

    chart: str
    """`oci://host/path/name`, a chart name in `repository`, or a local .tgz or chart directory."""
    version: str
    """The exact chart version (ignored by Helm for local paths, kept as a record of the pin)."""
    repository: str | None = None
    """An HTTPS Helm repository URL when `chart` is a plain chart name; None otherwise."""

    def chart_args(
        self,
        *,
        release_name: str,
        namespace: str,
        values: dict[str, object],
    ) -> k8s.helm.v4.ChartArgs:
        """ChartArgs for `kubernetes.helm.v4.Chart`, which renders client-side so policies see objects."""
        return k8s.helm.v4.ChartArgs(
            chart=self.chart,
            version=self.version,
            name=release_name,
            namespace=namespace,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=self.repository) if self.repository else None,
            values=values,
        )
