"""Shared readers: nested lookups, Istio kinds, namespaces, workloads and AuthorizationPolicy rules.

Lookups go through `Mapping`/`Sequence`, never `isinstance(x, dict)`: the SDK hands policies
proxy objects that raise UnknownValueError when an unknown value is touched, and that error must
reach the SDK untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

ISTIO_GROUPS = ("security.istio.io", "networking.istio.io", "telemetry.istio.io", "extensions.istio.io")
HELM_CHART_TYPES = ("kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release")
NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"

# Workload kinds and where their pod template lives.
WORKLOAD_TEMPLATES: Mapping[str, tuple[str, ...]] = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:core/v1:ReplicationController": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
    "kubernetes:core/v1:Pod": (),
}


def get(obj: Any, *path: str | int, default: Any = None) -> Any:
    """obj[path[0]][path[1]]... or `default` when a step is missing or of another shape."""
    cur = obj
    for step in path:
        if isinstance(step, int):
            if not isinstance(cur, Sequence) or isinstance(cur, str) or step >= len(cur):
                return default
        elif not isinstance(cur, Mapping) or step not in cur:
            return default
        cur = cur[step]
    return default if cur is None else cur


def items(obj: Any, *path: str) -> list[Any]:
    """The list at `path`, or [] when missing or not a list."""
    value = get(obj, *path)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [value[i] for i in range(len(value))]
    return []


def mapping(obj: Any, *path: str) -> Mapping[str, Any]:
    value = get(obj, *path)
    return value if isinstance(value, Mapping) else {}


def is_istio_kind(resource_type: str, kind: str) -> bool:
    """`kubernetes:security.istio.io/v1:AuthorizationPolicy` is kind AuthorizationPolicy (any version)."""
    parts = resource_type.split(":")
    return (
        len(parts) == 3
        and parts[0] == "kubernetes"
        and parts[1].split("/")[0] in ISTIO_GROUPS
        and parts[2] == kind
    )


def is_istio_resource(resource_type: str) -> bool:
    parts = resource_type.split(":")
    return len(parts) == 3 and parts[0] == "kubernetes" and parts[1].split("/")[0] in ISTIO_GROUPS


def name_of(props: Mapping[str, Any]) -> str:
    return str(get(props, "metadata", "name", default=""))


def namespace_of(props: Mapping[str, Any]) -> str:
    """The object's namespace; Kubernetes puts an object without one in `default`."""
    return str(get(props, "metadata", "namespace", default="default"))


def has_workload_selector(spec: Any) -> bool:
    """True when a policy targets some workloads rather than its whole namespace."""
    return bool(
        mapping(spec, "selector", "matchLabels")
        or get(spec, "targetRef")
        or items(spec, "targetRefs")
        or mapping(spec, "workloadSelector", "labels")
    )


# -- Helm charts ----------------------------------------------------------------------------------

_CHART_VERSION_SUFFIX = re.compile(r"-v?\d+\.\d+\.\d+.*$")


def chart_basename(chart: str) -> str:
    """`oci://r/istio/istiod`, `istio/istiod`, `./charts/istiod-1.30.4.tgz` -> `istiod`."""
    last = chart.rstrip("/").split("/")[-1]
    last = last.removesuffix(".tgz")
    return _CHART_VERSION_SUFFIX.sub("", last)


def is_istiod_chart(resource_type: str, props: Mapping[str, Any]) -> bool:
    return (
        resource_type in HELM_CHART_TYPES and chart_basename(str(get(props, "chart", default=""))) == "istiod"
    )


def istiod_setting(values: Mapping[str, Any], *path: str) -> Any:
    """A chart setting in the current layout (top level) or the older `pilot.` layout."""
    found = get(values, *path)
    return found if found is not None else get(values, "pilot", *path)


# -- namespaces and workloads ---------------------------------------------------------------------


def is_injected_namespace(props: Mapping[str, Any]) -> bool:
    labels = mapping(props, "metadata", "labels")
    return labels.get("istio-injection") == "enabled" or bool(labels.get("istio.io/rev"))


def pod_template(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = WORKLOAD_TEMPLATES.get(resource_type)
    if path is None:
        return None
    template = get(props, *path) if path else props
    return template if isinstance(template, Mapping) else {}


def service_account_of(template: Mapping[str, Any]) -> str:
    """The pod's ServiceAccount; a pod that names none runs as `default`."""
    spec = mapping(template, "spec")
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


# -- AuthorizationPolicy --------------------------------------------------------------------------


def authz_action(props: Mapping[str, Any]) -> str:
    return str(get(props, "spec", "action", default="ALLOW")).upper()


def authz_rules(props: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for i, rule in enumerate(items(props, "spec", "rules")):
        yield i, rule if isinstance(rule, Mapping) else {}


def rule_sources(rule: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for j, entry in enumerate(items(rule, "from")):
        yield j, mapping(entry, "source")


def rule_operations(rule: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for j, entry in enumerate(items(rule, "to")):
        yield j, mapping(entry, "operation")


# -- hosts ----------------------------------------------------------------------------------------


def is_wildcard_host(host: str) -> bool:
    """Any `*` in a host (`*`, `*.example.com`, `ns/*`, `*/foo`) matches more than one name."""
    return "*" in host


def is_mesh_internal_host(host: str, cluster_domain: str) -> bool:
    """Hosts that resolve to in-mesh Services: short names, `*.svc`, `*.svc.<cluster domain>`, and
    `name.namespace` (one dot, and the second label is not a common public suffix)."""
    h = host.rstrip(".").lower()
    if "." not in h or h.endswith((".svc", f".svc.{cluster_domain}", f".{cluster_domain}")):
        return True
    return h.count(".") == 1 and h.split(".")[1] not in _PUBLIC_SUFFIXES


_PUBLIC_SUFFIXES = frozenset(
    {
        "com",
        "net",
        "org",
        "io",
        "dev",
        "app",
        "cloud",
        "co",
        "gov",
        "mil",
        "edu",
        "info",
        "biz",
        "ai",
        "us",
        "uk",
    }
    | {"de", "eu", "fr", "jp", "ca", "au", "in", "me", "tv", "xyz"}
)
