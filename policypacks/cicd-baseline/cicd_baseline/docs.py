"""Reading the shapes policies inspect: IAM policy documents and Helm chart resources."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

# Helm resource types whose inputs carry a chart name and its values.
HELM_TYPES = (
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:helm.sh/v3:Chart",
    "kubernetes:helm.sh/v3:Release",
)


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """A policy document from a JSON string or an object; None when it is absent or not JSON."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def as_list(value: Any) -> list[Any]:
    """A list from a list, a policy SDK list proxy (a Sequence), a single value or None."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return [value]


def chart_name(props: Mapping[str, Any]) -> str:
    """The chart a Helm resource installs (`oci://.../name`, `repo/name`, a path or a bare name)."""
    chart = props.get("chart")
    if not isinstance(chart, str):
        return ""
    name = chart.rstrip("/").rsplit("/", 1)[-1]
    # A packaged chart such as gha-runner-scale-set-0.15.0.tgz: drop the version suffix.
    if name.endswith(".tgz"):
        name = name[: -len(".tgz")].rsplit("-", 1)[0]
    return name


def chart_values(props: Mapping[str, Any]) -> dict[str, Any]:
    values = props.get("values")
    return dict(values) if isinstance(values, Mapping) else {}


def dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def pod_containers(pod_spec: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field path, container) for every container, init container and ephemeral container."""
    if not isinstance(pod_spec, Mapping):
        return
    for field in ("containers", "initContainers", "ephemeralContainers"):
        for index, container in enumerate(as_list(pod_spec.get(field))):
            if isinstance(container, Mapping):
                yield f"{field}[{index}]", container
