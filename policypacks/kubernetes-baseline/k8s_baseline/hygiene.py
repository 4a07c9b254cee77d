"""Workload hygiene beyond the Pod Security Standards: resources, root filesystem, identity."""

from __future__ import annotations

from pulumi_policy import Severity

from .meta import ControlMap
from .walker import as_mapping, get
from .workload import Workload, WorkloadPolicy

AUTOMOUNT_REASON_ANNOTATION = "devsecops.io/automount-reason"

# Ephemeral containers are left out: the API forbids resources on them.
_RESOURCE_CONTAINERS = ("initContainers", "containers")
_REQUIRED_RESOURCES = (("requests", "cpu"), ("requests", "memory"), ("limits", "memory"))


def _set(value: object) -> bool:
    return value is not None and value != ""


def _has(resources: object, kind: str, resource: str) -> bool:
    if _set(get(resources, kind, resource)):
        return True
    # The API server defaults a missing request to the limit, so a limit also sets the request.
    return kind == "requests" and _set(get(resources, "limits", resource))


def _resources(workload: Workload) -> list[str]:
    # Pod-level resources (spec.resources) bound every container of the pod.
    pod_resources = workload.pod.spec.get("resources")
    out = []
    for c in workload.pod.containers(_RESOURCE_CONTAINERS):
        resources = c.obj.get("resources")
        missing = [
            f"{kind}.{resource}"
            for kind, resource in _REQUIRED_RESOURCES
            if not _has(resources, kind, resource) and not _has(pod_resources, kind, resource)
        ]
        if missing:
            out.append(
                f"{c.field('resources')} sets no {', '.join(missing)}; set cpu and memory requests and a "
                "memory limit so the scheduler reserves capacity and a leak cannot starve the node"
            )
    return out


def _read_only_root(workload: Workload) -> list[str]:
    if workload.pod.is_windows:  # the API rejects readOnlyRootFilesystem on Windows pods
        return []
    return [
        f"{c.field('securityContext', 'readOnlyRootFilesystem')} is "
        f"{'false' if c.security_context.get('readOnlyRootFilesystem') is False else 'not set'}; "
        "set it to true and mount an emptyDir where the process must write"
        for c in workload.pod.containers()
        if c.security_context.get("readOnlyRootFilesystem") is not True
    ]


def _service_account(workload: Workload) -> list[str]:
    spec = workload.pod.spec
    # serviceAccount is the deprecated alias the API server still honours.
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    if name != "default":
        return []
    field = workload.pod.field("serviceAccountName")
    how = (
        "is 'default'"
        if spec.get("serviceAccountName") == "default"
        else "is not set, so the pod runs as 'default'"
    )
    return [
        f"{field} {how}; give the workload its own ServiceAccount so its identity (and mesh identity) "
        "is unique and its permissions are its own"
    ]


def _automount(workload: Workload) -> list[str]:
    reasons = [
        as_mapping(get(workload.props, "metadata", "annotations")).get(AUTOMOUNT_REASON_ANNOTATION),
        workload.pod.annotations.get(AUTOMOUNT_REASON_ANNOTATION),
    ]
    if any(isinstance(r, str) and r.strip() for r in reasons):
        return []  # a declared need: the annotation says why the pod talks to the API server
    value = workload.pod.spec.get("automountServiceAccountToken")
    if value is False:
        return []
    state = "is true" if value is True else "is not set (Kubernetes mounts the token by default)"
    return [
        f"{workload.pod.field('automountServiceAccountToken')} {state}; set it to false, or declare the need "
        f"with the annotation {AUTOMOUNT_REASON_ANNOTATION}: <why the pod calls the Kubernetes API>"
    ]


_IDENTITY = ControlMap("IA-9", "SM-DR11", more_controls=("AC-6", "IA-3"), more_items=("SM-DR18",))

HYGIENE_POLICIES = [
    WorkloadPolicy(
        name="container-resources",
        description="Containers must set cpu and memory requests and a memory limit.",
        check=_resources,
        severity=Severity.MEDIUM,
        controls=ControlMap("SC-6", "C-4.9-3", more_controls=("CM-6",)),
        remediation_steps=(
            "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every "
            "container and init container (or pod-level spec.resources)."
        ),
    ),
    WorkloadPolicy(
        name="read-only-root-filesystem",
        description="Containers must run with a read-only root filesystem (Linux pods).",
        check=_read_only_root,
        severity=Severity.MEDIUM,
        controls=ControlMap("CM-7", "C-4.4-3", more_controls=("SI-7",)),
        remediation_steps=(
            "Set securityContext.readOnlyRootFilesystem: true on every container; mount an emptyDir volume "
            "on the paths the process writes (e.g. /tmp)."
        ),
    ),
    WorkloadPolicy(
        name="no-default-service-account",
        description="Workloads must not run as the namespace's 'default' ServiceAccount.",
        check=_service_account,
        severity=Severity.MEDIUM,
        controls=_IDENTITY,
        remediation_steps=(
            "Create a ServiceAccount per workload and set the pod template's spec.serviceAccountName to it."
        ),
    ),
    WorkloadPolicy(
        name="automount-service-account-token",
        description=(
            "Pods must set automountServiceAccountToken: false unless the need is declared with the "
            f"{AUTOMOUNT_REASON_ANNOTATION} annotation."
        ),
        check=_automount,
        severity=Severity.MEDIUM,
        controls=ControlMap("AC-6", "SM-DR11", more_controls=("IA-5",), more_items=("C-4.9-4",)),
        remediation_steps=(
            "Set automountServiceAccountToken: false in the pod spec. A pod that must call the Kubernetes "
            "API "
            f"keeps the token and carries the annotation {AUTOMOUNT_REASON_ANNOTATION}: <reason> on the "
            "workload or its pod template."
        ),
    ),
]
