"""The pod annotation that declares why a workload keeps its automounted ServiceAccount token.

The kubernetes-baseline pack's `automount-service-account-token` policy wants
`automountServiceAccountToken: false` on every pod, unless the pod says why it needs the token
(AC-6, SM-DR11). Chart workloads that call the Kubernetes API carry the reason through their
chart's pod-annotation value, so the exemption is declared on the workload itself.
"""

from __future__ import annotations

AUTOMOUNT_REASON_ANNOTATION = "devsecops.io/automount-reason"


def automount_reason(reason: str) -> dict[str, str]:
    """Pod annotations declaring why the pod keeps its ServiceAccount token."""
    return {AUTOMOUNT_REASON_ANNOTATION: reason}
