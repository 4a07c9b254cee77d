"""Where the pod lives in each pod-bearing kind, and one walk over every container in it.

Properties arrive as the SDK's unknown-checking proxies (Mapping / Sequence, not dict / list).
Everything here reads lazily with `.get`, so a value that is unknown during preview raises the
SDK's UnknownValueError only when a policy actually needs it; the SDK turns that into an
advisory "can't run policy during preview" diagnostic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

# Path from the resource's properties to its pod template ({metadata, spec}); () is a bare Pod.
# Deprecated API versions are listed too: the provider still ships their types, and leaving them
# out would let a workload slip past every check by choosing an old apiVersion.
_TEMPLATE = ("spec", "template")
_CRONJOB_TEMPLATE = ("spec", "jobTemplate", "spec", "template")
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": (),
    "kubernetes:core/v1:ReplicationController": _TEMPLATE,
    "kubernetes:apps/v1:Deployment": _TEMPLATE,
    "kubernetes:apps/v1:StatefulSet": _TEMPLATE,
    "kubernetes:apps/v1:DaemonSet": _TEMPLATE,
    "kubernetes:apps/v1:ReplicaSet": _TEMPLATE,
    "kubernetes:batch/v1:Job": _TEMPLATE,
    "kubernetes:batch/v1:CronJob": _CRONJOB_TEMPLATE,
    "kubernetes:apps/v1beta1:Deployment": _TEMPLATE,
    "kubernetes:apps/v1beta1:StatefulSet": _TEMPLATE,
    "kubernetes:apps/v1beta2:Deployment": _TEMPLATE,
    "kubernetes:apps/v1beta2:StatefulSet": _TEMPLATE,
    "kubernetes:apps/v1beta2:DaemonSet": _TEMPLATE,
    "kubernetes:apps/v1beta2:ReplicaSet": _TEMPLATE,
    "kubernetes:extensions/v1beta1:Deployment": _TEMPLATE,
    "kubernetes:extensions/v1beta1:DaemonSet": _TEMPLATE,
    "kubernetes:extensions/v1beta1:ReplicaSet": _TEMPLATE,
    "kubernetes:batch/v1beta1:CronJob": _CRONJOB_TEMPLATE,
    "kubernetes:batch/v2alpha1:CronJob": _CRONJOB_TEMPLATE,
}

# The order PSA's visitor uses: init containers, containers, ephemeral containers.
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

_EMPTY: Mapping[str, Any] = {}


def get(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]... or None when any step is missing, null or not an object."""
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


def as_list(value: Any) -> Sequence[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return value
    return ()


def kind_of(resource_type: str) -> str:
    """'kubernetes:apps/v1:Deployment' -> 'Deployment'."""
    return resource_type.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class Container:
    """One container of a pod spec, with the field path of the container in the resource."""

    obj: Mapping[str, Any]
    path: str  # e.g. spec.template.spec.containers[0]
    list_name: str  # initContainers | containers | ephemeralContainers

    @property
    def security_context(self) -> Mapping[str, Any]:
        return as_mapping(self.obj.get("securityContext"))

    def field(self, *keys: str) -> str:
        """The dotted path of a field of this container, for messages."""
        return ".".join((self.path, *keys))


@dataclass(frozen=True)
class Pod:
    """The pod a resource runs: its spec and metadata, and where they sit in the resource."""

    kind: str
    spec: Mapping[str, Any]
    metadata: Mapping[str, Any]
    spec_path: str  # e.g. spec.template.spec, or spec for a bare Pod
    metadata_path: str

    def field(self, *keys: str) -> str:
        return ".".join((self.spec_path, *keys))

    @property
    def security_context(self) -> Mapping[str, Any]:
        return as_mapping(self.spec.get("securityContext"))

    @property
    def is_windows(self) -> bool:
        """PSA's test for the relaxed Windows checks: spec.os.name == "windows"."""
        return bool(get(self.spec, "os", "name") == "windows")

    @property
    def annotations(self) -> Mapping[str, Any]:
        return as_mapping(self.metadata.get("annotations"))

    def containers(self, lists: Sequence[str] = CONTAINER_LISTS) -> Iterator[Container]:
        """Every container of the given lists (default: all three), with its field path."""
        for list_name in lists:
            for index, container in enumerate(as_list(self.spec.get(list_name))):
                yield Container(
                    obj=as_mapping(container),
                    path=f"{self.spec_path}.{list_name}[{index}]",
                    list_name=list_name,
                )


def pod_of(resource_type: str, props: Mapping[str, Any]) -> Pod | None:
    """The pod of a pod-bearing resource, or None for any other kind.

    A missing template or spec is an empty pod: Kubernetes rejects it anyway, and a policy must
    not crash on it.
    """
    path = POD_TEMPLATE_PATHS.get(resource_type)
    if path is None:
        return None
    template = as_mapping(get(props, *path)) if path else props
    prefix = ".".join(path)
    return Pod(
        kind=kind_of(resource_type),
        spec=as_mapping(template.get("spec")),
        metadata=as_mapping(template.get("metadata")),
        spec_path=f"{prefix}.spec" if prefix else "spec",
        metadata_path=f"{prefix}.metadata" if prefix else "metadata",
    )


def namespace_of(props: Mapping[str, Any], provider_props: Mapping[str, Any] | None) -> str:
    """The namespace a namespaced resource lands in.

    metadata.namespace, else the Kubernetes provider's `namespace` setting (the provider applies
    it to objects that name none), else "default", as the API server would.
    """
    namespace = get(props, "metadata", "namespace")
    if isinstance(namespace, str) and namespace:
        return namespace
    if provider_props is not None:
        provider_namespace = provider_props.get("namespace")
        if isinstance(provider_namespace, str) and provider_namespace:
            return provider_namespace
    return "default"


def display_name(props: Mapping[str, Any], resource_name: str) -> str:
    """metadata.name, or the Pulumi resource name when the provider will auto-name the object."""
    try:
        name = get(props, "metadata", "name")
    except UnknownValueError:
        # Decoration only: an unknown name must not hide the finding it labels.
        return f"{resource_name} (name known after apply)"
    if isinstance(name, str) and name:
        return name
    return f"{resource_name} (auto-named)"
