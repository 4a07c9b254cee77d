"""Readers for engine-form inputs and Helm charts, written once for every policy of the pack.

Inputs arrive as the engine sends them: camelCase keys, lists and maps wrapped in the SDK's
unknown-checking proxies (so `Mapping`/`Sequence`, never `dict`/`list`). The helpers touch only
the fields a policy asks for; reading an unknown value raises the SDK's UnknownValueError, which
the SDK reports as an advisory "can't run policy during preview" diagnostic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# Resource types that carry a Helm chart reference in their inputs (`chart`, `values`).
CHART_TYPES = ("kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release")

_VERSION_SUFFIX = re.compile(r"-v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


class PolicyConfigError(ValueError):
    """A policy config value (from `--policy-pack-config`) that the policy cannot use."""


def get(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]... or None where a step is missing or not a map."""
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def as_list(value: Any) -> list[Any]:
    if value is None or isinstance(value, str | bytes | Mapping):
        return [] if value is None else [value]
    return list(value) if isinstance(value, Sequence) else [value]


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def chart_basename(chart: Any) -> str | None:
    """The chart's own name from any chart reference Helm accepts.

    `istiod`, `istio/istiod`, `oci://registry/istio/istiod`, `./charts/istiod-1.30.4.tgz` and
    `https://host/istiod-1.30.4.tgz` all give `istiod`.
    """
    if not isinstance(chart, str) or not chart.strip():
        return None
    name = chart.strip().rstrip("/").rsplit("/", 1)[-1]
    name = name.split("@", 1)[0].split(":", 1)[0]  # OCI digests and tags
    if name.endswith(".tgz"):
        name = _VERSION_SUFFIX.sub("", name[: -len(".tgz")])
    return name or None


def chart_of(resource_type: str, props: Mapping[str, Any]) -> str | None:
    """The chart name of a Helm chart resource, None for any other resource."""
    if resource_type not in CHART_TYPES:
        return None
    return chart_basename(props.get("chart"))


def config_strings(cfg: Mapping[str, Any], key: str) -> frozenset[str]:
    """A list of non-empty strings from policy config."""
    value = cfg.get(key)
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise PolicyConfigError(f"'{key}' has value {value!r}; allowed: a list of strings")
    if any(not isinstance(item, str) or not item for item in value):
        raise PolicyConfigError(f"'{key}' has value {value!r}; allowed: a list of non-empty strings")
    return frozenset(value)


def config_string(cfg: Mapping[str, Any], key: str) -> str:
    value = cfg.get(key)
    if not isinstance(value, str) or not value:
        raise PolicyConfigError(f"'{key}' has value {value!r}; allowed: a non-empty string")
    return value
