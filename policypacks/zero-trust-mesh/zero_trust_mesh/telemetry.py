"""Telemetry: mesh-wide access logging is never switched off (AU-12)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .meta import ROOT_NAMESPACE, Config, resource_policy
from .walk import get, has_workload_selector, is_istio_kind, items, namespace_of


def _logging_not_disabled(resource_type: str, props: Mapping[str, Any], config: Config) -> Iterator[str]:
    if not is_istio_kind(resource_type, "Telemetry"):
        return
    spec = get(props, "spec", default={})
    if namespace_of(props) != config["rootNamespace"] or has_workload_selector(spec):
        return
    for i, logging in enumerate(items(spec, "accessLogging")):
        if get(logging, "disabled") is True:
            yield (
                f"spec.accessLogging[{i}].disabled is true in the root namespace: no proxy writes "
                "access logs."
            )


TELEMETRY_ACCESS_LOGGING = resource_policy(
    "telemetry-access-logging-not-disabled",
    "The mesh-wide Telemetry resource does not disable access logging.",
    _logging_not_disabled,
    severity=Severity.MEDIUM,
    control="AU-12",
    spec="C-4.1-1",
    remediation="Remove `disabled: true` from the root-namespace Telemetry's accessLogging (provider envoy).",
    config=ROOT_NAMESPACE,
)

POLICIES = [TELEMETRY_ACCESS_LOGGING]
