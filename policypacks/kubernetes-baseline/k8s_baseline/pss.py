"""The Pod Security Standards policies: one policy per upstream check, each knowing its level.

The pack level (pod-security-exemption.level) decides which run, as PSA evaluates a namespace:
- level baseline: the baseline checks; the restricted-only checks pass everything;
- level restricted: every check, except the baseline checks a restricted check replaces
  (PSA's OverrideCheckIDs: hostPathVolumes, capabilities_baseline, seccompProfile_baseline,
  procMount), which pass because their stricter form runs instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_policy import Severity

from .meta import ControlMap
from .pss_checks import CHECKS, OVERRIDDEN_AT_RESTRICTED, Check, runs_at
from .workload import Workload, WorkloadCheck, WorkloadPolicy

_DOCS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"


@dataclass(frozen=True)
class _Spec:
    name: str
    severity: Severity
    controls: ControlMap
    description: str
    remediation: str


_NO_ROOT = ControlMap("AC-6", "AHLC-SR-1", more_controls=("CM-7",), more_items=("C-4.4-3",))
_NO_ESCALATION = ControlMap("AC-6", "AHLC-SR-4", more_controls=("CM-7",), more_items=("C-4.4-3",))
_ISOLATION = ControlMap("SC-39", "C-4.4-3", more_controls=("AC-6",))
_HARDENING = ControlMap("CM-7", "C-4.4-3", more_controls=("AC-6",))
_HOST_NETWORK = ControlMap("SC-7", "C-4.4-3", more_controls=("CM-7",))

_SPECS: dict[str, _Spec] = {
    "hostNamespaces": _Spec(
        "pss-host-namespaces",
        Severity.HIGH,
        _ISOLATION,
        "Pods must not share the node's network, PID or IPC namespace (hostNetwork, hostPID, hostIPC).",
        "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false).",
    ),
    "privileged": _Spec(
        "pss-privileged",
        Severity.CRITICAL,
        _NO_ROOT,
        "Containers must not run privileged (securityContext.privileged).",
        "Remove securityContext.privileged from every container (or set it to false).",
    ),
    "capabilities_baseline": _Spec(
        "pss-capabilities-baseline",
        Severity.HIGH,
        _NO_ESCALATION,
        "Containers may add only the Linux capabilities of the baseline allow-list.",
        "Remove capabilities outside AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, "
        "NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT from "
        "securityContext.capabilities.add.",
    ),
    "hostPathVolumes": _Spec(
        "pss-host-path-volumes",
        Severity.HIGH,
        _ISOLATION,
        "Pods must not mount hostPath volumes.",
        "Replace hostPath volumes with configMap, secret, emptyDir, projected or persistentVolumeClaim "
        "volumes.",
    ),
    "hostPorts": _Spec(
        "pss-host-ports",
        Severity.MEDIUM,
        _HOST_NETWORK,
        "Containers must not bind host ports (ports[].hostPort).",
        "Remove ports[].hostPort and expose the port through a Service.",
    ),
    "hostProbesAndHostLifecycle": _Spec(
        "pss-host-probes-and-lifecycle",
        Severity.MEDIUM,
        _HOST_NETWORK,
        "Probes and lifecycle handlers must not target another host (httpGet.host, tcpSocket.host).",
        "Remove host from httpGet and tcpSocket in liveness, readiness and startup probes and in "
        "postStart / preStop handlers.",
    ),
    "appArmorProfile": _Spec(
        "pss-apparmor-profile",
        Severity.MEDIUM,
        _HARDENING,
        "AppArmor must not be disabled or overridden: profile type RuntimeDefault or Localhost only.",
        "Set securityContext.appArmorProfile.type to RuntimeDefault (or Localhost), and remove "
        "container.apparmor.security.beta.kubernetes.io annotations other than runtime/default or "
        "localhost/*.",
    ),
    "seLinuxOptions": _Spec(
        "pss-selinux-options",
        Severity.MEDIUM,
        _HARDENING,
        "SELinux options may set only the allowed container types, and never a user or role.",
        "Remove seLinuxOptions.user and .role; use type container_t, container_init_t, container_kvm_t "
        "or container_engine_t, or leave type unset.",
    ),
    "procMount": _Spec(
        "pss-proc-mount",
        Severity.MEDIUM,
        _ISOLATION,
        "Containers must keep /proc masked (procMount Default), unless the pod runs in a user namespace.",
        "Remove securityContext.procMount (or set it to Default).",
    ),
    "seccompProfile_baseline": _Spec(
        "pss-seccomp-profile-baseline",
        Severity.MEDIUM,
        _HARDENING,
        "Seccomp must not be disabled: a set profile type must be RuntimeDefault or Localhost.",
        "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost) wherever it is set.",
    ),
    "sysctls": _Spec(
        "pss-sysctls",
        Severity.MEDIUM,
        _ISOLATION,
        "Pods may set only the safe (namespaced, node-isolated) sysctls.",
        "Remove spec.securityContext.sysctls entries that are not in the Pod Security Standards safe list.",
    ),
    "windowsHostProcess": _Spec(
        "pss-windows-host-process",
        Severity.CRITICAL,
        _NO_ROOT,
        "Windows pods must not run as HostProcess containers (windowsOptions.hostProcess).",
        "Remove securityContext.windowsOptions.hostProcess from the pod and its containers.",
    ),
    "restrictedVolumes": _Spec(
        "pss-restricted-volumes",
        Severity.MEDIUM,
        ControlMap("CM-7", "C-4.4-3", more_controls=("SC-39",)),
        "Restricted pods may use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
        "persistentVolumeClaim, projected and secret volumes.",
        "Replace other volume types with a persistentVolumeClaim (for storage) or a configMap / secret / "
        "projected volume (for configuration).",
    ),
    "allowPrivilegeEscalation": _Spec(
        "pss-allow-privilege-escalation",
        Severity.HIGH,
        _NO_ESCALATION,
        "Containers must set securityContext.allowPrivilegeEscalation to false (Linux pods).",
        "Set securityContext.allowPrivilegeEscalation: false on every container, init container and "
        "ephemeral container.",
    ),
    "runAsNonRoot": _Spec(
        "pss-run-as-non-root",
        Severity.HIGH,
        _NO_ROOT,
        "Containers must run as non-root: runAsNonRoot true on the pod or on every container.",
        "Set spec.securityContext.runAsNonRoot: true (and no container sets it to false), and build the "
        "image with a non-root USER.",
    ),
    "runAsUser": _Spec(
        "pss-run-as-user",
        Severity.HIGH,
        _NO_ROOT,
        "Pods and containers must not set runAsUser to 0 (root).",
        "Remove runAsUser: 0, or set a non-zero UID, on the pod and every container.",
    ),
    "seccompProfile_restricted": _Spec(
        "pss-seccomp-profile-restricted",
        Severity.MEDIUM,
        _HARDENING,
        "A seccomp profile must be set (RuntimeDefault or Localhost) on the pod or every container "
        "(Linux pods).",
        "Set spec.securityContext.seccompProfile.type: RuntimeDefault.",
    ),
    "capabilities_restricted": _Spec(
        "pss-capabilities-restricted",
        Severity.MEDIUM,
        _NO_ESCALATION,
        "Containers must drop ALL capabilities and may add back only NET_BIND_SERVICE (Linux pods).",
        'Set securityContext.capabilities.drop: ["ALL"] on every container; add back nothing but '
        "NET_BIND_SERVICE.",
    ),
    "procMount_restricted": _Spec(
        "pss-proc-mount-restricted",
        Severity.MEDIUM,
        _ISOLATION,
        "Containers must keep /proc masked (procMount Default), user namespace or not.",
        "Remove securityContext.procMount (or set it to Default).",
    ),
}


def _as_workload_check(check: Check) -> WorkloadCheck:
    def run(workload: Workload) -> list[str]:
        return check.fn(workload.pod)

    return run


class PodSecurityPolicy(WorkloadPolicy):
    """A WorkloadPolicy that carries its upstream check (ID, level, overrides)."""

    def __init__(self, check: Check) -> None:
        spec = _SPECS[check.check_id]
        self.pss_check = check
        replaced_by = OVERRIDDEN_AT_RESTRICTED.get(check.check_id)
        note = f" At level restricted it defers to {_name(replaced_by)}." if replaced_by else ""
        super().__init__(
            name=spec.name,
            description=f"[PSS {check.level}: {check.check_id}] {spec.description}{note}",
            check=_as_workload_check(check),
            severity=spec.severity,
            controls=spec.controls,
            remediation_steps=f"{spec.remediation} See {_DOCS}",
            runs_at_level=lambda level: runs_at(check, level),
            extra_tags=("pod-security", f"pss-level:{check.level}", f"pss-check:{check.check_id}"),
        )


def _name(check_id: str) -> str:
    return _SPECS[check_id].name


PSS_POLICIES: list[PodSecurityPolicy] = [PodSecurityPolicy(check) for check in CHECKS]
