"""Security contexts every observability workload gets, and the namespaces' Pod Security labels.

Restricted pods: non-root, RuntimeDefault seccomp, no privilege escalation, every capability
dropped, read-only root filesystem. The node agents (log collector, node-exporter) need host
paths or the host network, which no Pod Security level short of `privileged` allows; they run in
a separate namespace so the exemption is a namespace, not a hole in the restricted one.
"""

from __future__ import annotations

from typing import Any

RUNTIME_DEFAULT = {"type": "RuntimeDefault"}


def restricted_pod(user: int, group: int | None = None, fs_group: int | None = None) -> dict[str, Any]:
    """Pod-level securityContext for the restricted level, with a fixed non-root user."""
    context: dict[str, Any] = {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": group if group is not None else user,
        "seccompProfile": dict(RUNTIME_DEFAULT),
    }
    if fs_group is not None:
        context["fsGroup"] = fs_group
    return context


def restricted_container(read_only_root: bool = True) -> dict[str, Any]:
    """Container-level securityContext for the restricted level."""
    return {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only_root,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": dict(RUNTIME_DEFAULT),
    }


def pod_security_labels(level: str, audit_and_warn: str | None = None) -> dict[str, str]:
    """Pod Security Admission labels: enforce `level`, audit and warn at a stricter level if given."""
    stricter = audit_and_warn or level
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": stricter,
        "pod-security.kubernetes.io/warn": stricter,
    }


def resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    """Requests and limits for one container (every workload declares both)."""
    return {
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"cpu": cpu_limit, "memory": memory_limit},
    }
