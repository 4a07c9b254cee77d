"""The Pod Security Standards checks, one function per upstream check ID.

Each function mirrors the newest version of the check in kubernetes/pod-security-admission
(`policy/check_<id>.go`, policy version v1.37), including its allowed-value sets and its Windows
and user-namespace relaxations. It returns one message per offending field (empty: allowed).
Messages name the field path and what to set instead.

Go's "pointer is nil" is "key missing or null" here; a present-but-empty object (`{}`) is a
non-nil pointer, exactly as the API server decodes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .walker import Container, Pod, as_list, as_mapping, get

CheckFn = Callable[[Pod], list[str]]

BASELINE = "baseline"
RESTRICTED = "restricted"


def _host_users_false(pod: Pod) -> bool:
    """KEP-127: a pod in a user namespace (hostUsers: false) relaxes some checks from v1.35."""
    return pod.spec.get("hostUsers") is False


def _member(value: Any, allowed: frozenset[str]) -> bool:
    """Set membership that cannot crash on a malformed (unhashable) value."""
    return isinstance(value, str) and value in allowed


def _is_zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _quoted(container: Container) -> str:
    """'container "app"' for messages whose field path already locates the container."""
    try:
        name = container.obj.get("name")
    except UnknownValueError:
        # The name is only decoration; an unknown name must not turn a violation into a
        # "can't run during preview" notice.
        name = None
    kind = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}.get(
        container.list_name, "container"
    )
    return f'{kind} "{name}"' if isinstance(name, str) and name else f"this {kind}"


# --- baseline -------------------------------------------------------------------------------


def host_namespaces(pod: Pod) -> list[str]:
    return [
        f"{pod.field(key)} is true: the pod would share the node's {what}; remove it or set it to false"
        for key, what in (("hostNetwork", "network"), ("hostPID", "process IDs"), ("hostIPC", "IPC"))
        if pod.spec.get(key) is True
    ]


def privileged(pod: Pod) -> list[str]:
    return [
        f"{c.field('securityContext', 'privileged')} is true in {_quoted(c)}; remove it or set it to false"
        for c in pod.containers()
        if c.security_context.get("privileged") is True
    ]


# check_capabilities_baseline.go: capabilities_allowed_1_0 (unchanged since 1.22). Case matters.
CAPABILITIES_BASELINE_ALLOWED = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def capabilities_baseline(pod: Pod) -> list[str]:
    out = []
    for c in pod.containers():
        added = as_list(get(c.security_context, "capabilities", "add"))
        bad = sorted({str(cap) for cap in added if not _member(cap, CAPABILITIES_BASELINE_ALLOWED)})
        if bad:
            out.append(
                f"{c.field('securityContext', 'capabilities', 'add')} in {_quoted(c)} adds {bad}; "
                f"only {sorted(CAPABILITIES_BASELINE_ALLOWED)} may be added"
            )
    return out


def host_path_volumes(pod: Pod) -> list[str]:
    return [
        f"{pod.field('volumes')}[{i}] is a hostPath volume; use a configMap, secret, emptyDir, "
        "projected or persistentVolumeClaim volume instead"
        for i, volume in enumerate(as_list(pod.spec.get("volumes")))
        if as_mapping(volume).get("hostPath") is not None
    ]


def host_ports(pod: Pod) -> list[str]:
    out = []
    for c in pod.containers():
        for i, port in enumerate(as_list(c.obj.get("ports"))):
            host_port = as_mapping(port).get("hostPort")
            if host_port is not None and host_port != 0:
                out.append(
                    f"{c.field('ports')}[{i}].hostPort is {_num(host_port)} in {_quoted(c)}; "
                    "remove hostPort and expose the port through a Service"
                )
    return out


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS = ("postStart", "preStop")


def host_probes_and_host_lifecycle(pod: Pod) -> list[str]:
    out = []
    for c in pod.containers():
        handlers: list[tuple[tuple[str, ...], Mapping[str, Any]]] = [
            ((probe,), as_mapping(c.obj.get(probe))) for probe in _PROBES
        ]
        lifecycle = as_mapping(c.obj.get("lifecycle"))
        handlers += [(("lifecycle", h), as_mapping(lifecycle.get(h))) for h in _HANDLERS]
        for where, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = get(handler, action, "host")
                if host is not None and host != "":
                    out.append(
                        f"{c.field(*where, action, 'host')} is {host!r} in {_quoted(c)}; "
                        "remove host so the kubelet probes the pod's own IP"
                    )
    return out


_APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})
_APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def app_armor_profile(pod: Pod) -> list[str]:
    out = []
    profile = pod.security_context.get("appArmorProfile")
    if profile is not None and not _member(as_mapping(profile).get("type"), _APPARMOR_TYPES):
        out.append(
            f"{pod.field('securityContext', 'appArmorProfile', 'type')} is "
            f"{as_mapping(profile).get('type')!r}; use RuntimeDefault or Localhost"
        )
    for c in pod.containers():
        profile = c.security_context.get("appArmorProfile")
        if profile is not None and not _member(as_mapping(profile).get("type"), _APPARMOR_TYPES):
            out.append(
                f"{c.field('securityContext', 'appArmorProfile', 'type')} is "
                f"{as_mapping(profile).get('type')!r} in {_quoted(c)}; use RuntimeDefault or Localhost"
            )
    # Only AppArmor annotations are read: an unrelated annotation unknown at preview must not
    # stop this check.
    for key in sorted(k for k in pod.annotations if k.startswith(_APPARMOR_ANNOTATION_PREFIX)):
        value = pod.annotations[key]
        if not _apparmor_annotation_ok(value):
            out.append(
                f"{pod.metadata_path}.annotations[{key!r}] is {value!r}; "
                "use runtime/default or localhost/<profile>, or remove it"
            )
    return out


def _apparmor_annotation_ok(value: Any) -> bool:
    return value in ("", "runtime/default") or (isinstance(value, str) and value.startswith("localhost/"))


# check_seLinuxOptions.go: selinuxAllowedTypes1_31 (container_engine_t added in policy v1.31).
SELINUX_ALLOWED_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)


def _selinux_problems(options: Mapping[str, Any]) -> list[str]:
    problems = []
    selinux_type = options.get("type")
    if not _member("" if selinux_type is None else selinux_type, SELINUX_ALLOWED_TYPES):
        problems.append(
            f"type {selinux_type!r} is not one of {sorted(t for t in SELINUX_ALLOWED_TYPES if t)}"
        )
    for key in ("user", "role"):
        if options.get(key):
            problems.append(f"{key} may not be set")
    return problems


def se_linux_options(pod: Pod) -> list[str]:
    out = []
    options = pod.security_context.get("seLinuxOptions")
    if options is not None:
        for problem in _selinux_problems(as_mapping(options)):
            out.append(f"{pod.field('securityContext', 'seLinuxOptions')}: {problem}")
    for c in pod.containers():
        options = c.security_context.get("seLinuxOptions")
        if options is not None:
            for problem in _selinux_problems(as_mapping(options)):
                out.append(f"{c.field('securityContext', 'seLinuxOptions')} in {_quoted(c)}: {problem}")
    return out


def _proc_mount_default_only(pod: Pod) -> list[str]:
    return [
        f"{c.field('securityContext', 'procMount')} is {c.security_context.get('procMount')!r} in "
        f"{_quoted(c)}; remove it or set it to Default"
        for c in pod.containers()
        if c.security_context.get("procMount") is not None
        and c.security_context.get("procMount") != "Default"
    ]


def proc_mount(pod: Pod) -> list[str]:
    # Baseline from v1.35: a user-namespaced pod may unmask /proc (its root is not the node's).
    if _host_users_false(pod):
        return []
    return _proc_mount_default_only(pod)


def _seccomp_ok(profile: Mapping[str, Any]) -> bool:
    return profile.get("type") in ("RuntimeDefault", "Localhost")


def seccomp_profile_baseline(pod: Pod) -> list[str]:
    # From policy v1.19 a set profile must be RuntimeDefault or Localhost; unset is allowed.
    out = []
    profile = pod.security_context.get("seccompProfile")
    if profile is not None and not _seccomp_ok(as_mapping(profile)):
        out.append(
            f"{pod.field('securityContext', 'seccompProfile', 'type')} is "
            f"{as_mapping(profile).get('type')!r}; use RuntimeDefault or Localhost"
        )
    for c in pod.containers():
        profile = c.security_context.get("seccompProfile")
        if profile is not None and not _seccomp_ok(as_mapping(profile)):
            out.append(
                f"{c.field('securityContext', 'seccompProfile', 'type')} is "
                f"{as_mapping(profile).get('type')!r} in {_quoted(c)}; use RuntimeDefault or Localhost"
            )
    return out


# check_sysctls.go: sysctlsAllowedV1Dot37 (the union of every version's additions).
SYSCTLS_ALLOWED = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
        "net.ipv4.tcp_slow_start_after_idle",
        "net.ipv4.tcp_notsent_lowat",
    }
)


def sysctls(pod: Pod) -> list[str]:
    return [
        f"{pod.field('securityContext', 'sysctls')}[{i}].name is {as_mapping(s).get('name')!r}: "
        "not a namespaced, node-isolated (safe) sysctl; remove it"
        for i, s in enumerate(as_list(pod.security_context.get("sysctls")))
        if not _member(as_mapping(s).get("name"), SYSCTLS_ALLOWED)
    ]


def windows_host_process(pod: Pod) -> list[str]:
    out = []
    if get(pod.security_context, "windowsOptions", "hostProcess") is True:
        out.append(f"{pod.field('securityContext', 'windowsOptions', 'hostProcess')} is true; remove it")
    for c in pod.containers():
        if get(c.security_context, "windowsOptions", "hostProcess") is True:
            out.append(
                f"{c.field('securityContext', 'windowsOptions', 'hostProcess')} is true in {_quoted(c)}"
            )
    return out


# --- restricted -----------------------------------------------------------------------------

# check_restrictedVolumes.go: the volume sources a restricted pod may use.
RESTRICTED_VOLUME_SOURCES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)


def restricted_volumes(pod: Pod) -> list[str]:
    out = []
    for i, raw in enumerate(as_list(pod.spec.get("volumes"))):
        volume = as_mapping(raw)
        if any(volume.get(k) is not None for k in RESTRICTED_VOLUME_SOURCES):
            continue
        sources = {k for k in volume if k != "name" and volume.get(k) is not None}
        # A volume naming no source is defaulted to emptyDir by the API server.
        if sources:
            out.append(
                f"{pod.field('volumes')}[{i}] uses {sorted(sources)}; restricted pods may only use "
                f"{sorted(RESTRICTED_VOLUME_SOURCES)} volumes"
            )
    return out


def allow_privilege_escalation(pod: Pod) -> list[str]:
    # From policy v1.25 Windows pods are exempt: the field does not exist there.
    if pod.is_windows:
        return []
    return [
        f"{c.field('securityContext', 'allowPrivilegeEscalation')} in {_quoted(c)} is "
        f"{_show(c.security_context.get('allowPrivilegeEscalation'))}; set it to false"
        for c in pod.containers()
        if c.security_context.get("allowPrivilegeEscalation") is not False
    ]


def _show(value: Any) -> str:
    return "not set" if value is None else repr(value)


def run_as_non_root(pod: Pod) -> list[str]:
    if _host_users_false(pod):  # v1.35: uid 0 in a user namespace is not root on the node
        return []
    out = []
    pod_value = pod.security_context.get("runAsNonRoot")
    if pod_value is False:
        out.append(f"{pod.field('securityContext', 'runAsNonRoot')} is false; set it to true")
    for c in pod.containers():
        value = c.security_context.get("runAsNonRoot")
        if value is False:
            out.append(
                f"{c.field('securityContext', 'runAsNonRoot')} is false in {_quoted(c)}; set it to true"
            )
        elif value is None and pod_value is not True:
            out.append(
                f"{c.field('securityContext', 'runAsNonRoot')} is not set in {_quoted(c)} and "
                f"{pod.field('securityContext', 'runAsNonRoot')} is not true; set either to true"
            )
    return out


def run_as_user(pod: Pod) -> list[str]:
    if _host_users_false(pod):
        return []
    out = []
    if _is_zero(pod.security_context.get("runAsUser")):
        out.append(f"{pod.field('securityContext', 'runAsUser')} is 0 (root); use a non-zero UID")
    for c in pod.containers():
        if _is_zero(c.security_context.get("runAsUser")):
            out.append(
                f"{c.field('securityContext', 'runAsUser')} is 0 (root) in {_quoted(c)}; use a non-zero UID"
            )
    return out


def seccomp_profile_restricted(pod: Pod) -> list[str]:
    if pod.is_windows:
        return []
    out = []
    pod_profile = pod.security_context.get("seccompProfile")
    pod_ok = pod_profile is not None and _seccomp_ok(as_mapping(pod_profile))
    if pod_profile is not None and not pod_ok:
        out.append(
            f"{pod.field('securityContext', 'seccompProfile', 'type')} is "
            f"{as_mapping(pod_profile).get('type')!r}; use RuntimeDefault or Localhost"
        )
    for c in pod.containers():
        profile = c.security_context.get("seccompProfile")
        if profile is not None and not _seccomp_ok(as_mapping(profile)):
            out.append(
                f"{c.field('securityContext', 'seccompProfile', 'type')} is "
                f"{as_mapping(profile).get('type')!r} in {_quoted(c)}; use RuntimeDefault or Localhost"
            )
        elif profile is None and not pod_ok:
            out.append(
                f"{c.field('securityContext', 'seccompProfile')} is not set in {_quoted(c)} and the pod "
                f"sets no valid {pod.field('securityContext', 'seccompProfile')}; set type RuntimeDefault"
            )
    return out


def capabilities_restricted(pod: Pod) -> list[str]:
    if pod.is_windows:
        return []
    out = []
    for c in pod.containers():
        capabilities = as_mapping(c.security_context.get("capabilities"))
        if "ALL" not in list(as_list(capabilities.get("drop"))):
            out.append(
                f"{c.field('securityContext', 'capabilities', 'drop')} in {_quoted(c)} does not include "
                '"ALL"; set drop: ["ALL"]'
            )
        added = sorted({str(a) for a in as_list(capabilities.get("add")) if a != "NET_BIND_SERVICE"})
        if added:
            out.append(
                f"{c.field('securityContext', 'capabilities', 'add')} in {_quoted(c)} adds {added}; "
                "only NET_BIND_SERVICE may be added"
            )
    return out


def proc_mount_restricted(pod: Pod) -> list[str]:
    # Restricted keeps /proc masked even for user-namespaced pods.
    return _proc_mount_default_only(pod)


@dataclass(frozen=True)
class Check:
    """One upstream check: its ID, level, function and the baseline checks it replaces."""

    check_id: str
    level: str
    fn: CheckFn
    overrides: tuple[str, ...] = field(default=())


CHECKS: tuple[Check, ...] = (
    Check("hostNamespaces", BASELINE, host_namespaces),
    Check("privileged", BASELINE, privileged),
    Check("capabilities_baseline", BASELINE, capabilities_baseline),
    Check("hostPathVolumes", BASELINE, host_path_volumes),
    Check("hostPorts", BASELINE, host_ports),
    Check("hostProbesAndHostLifecycle", BASELINE, host_probes_and_host_lifecycle),
    Check("appArmorProfile", BASELINE, app_armor_profile),
    Check("seLinuxOptions", BASELINE, se_linux_options),
    Check("procMount", BASELINE, proc_mount),
    Check("seccompProfile_baseline", BASELINE, seccomp_profile_baseline),
    Check("sysctls", BASELINE, sysctls),
    Check("windowsHostProcess", BASELINE, windows_host_process),
    Check("restrictedVolumes", RESTRICTED, restricted_volumes, overrides=("hostPathVolumes",)),
    Check("allowPrivilegeEscalation", RESTRICTED, allow_privilege_escalation),
    Check("runAsNonRoot", RESTRICTED, run_as_non_root),
    Check("runAsUser", RESTRICTED, run_as_user),
    Check(
        "seccompProfile_restricted",
        RESTRICTED,
        seccomp_profile_restricted,
        overrides=("seccompProfile_baseline",),
    ),
    Check(
        "capabilities_restricted", RESTRICTED, capabilities_restricted, overrides=("capabilities_baseline",)
    ),
    Check("procMount_restricted", RESTRICTED, proc_mount_restricted, overrides=("procMount",)),
)

# Baseline check ID -> the restricted check that replaces it at level restricted (PSA's
# OverrideCheckIDs): at restricted only the stricter form runs, as upstream evaluates it.
OVERRIDDEN_AT_RESTRICTED: dict[str, str] = {o: c.check_id for c in CHECKS for o in c.overrides}


def runs_at(check: Check, level: str) -> bool:
    """Whether PSA evaluates this check for a namespace enforced at `level`."""
    if level == BASELINE:
        return check.level == BASELINE
    return check.check_id not in OVERRIDDEN_AT_RESTRICTED
