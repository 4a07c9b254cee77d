"""Routing and egress: exact hosts in VirtualServices and ServiceEntries, bounded Sidecar egress."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .meta import Config, resource_policy
from .walk import is_istio_kind, is_wildcard_host, items


def _virtual_service_hosts(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    if not is_istio_kind(resource_type, "VirtualService"):
        return
    for i, host in enumerate(items(props, "spec", "hosts")):
        if is_wildcard_host(str(host)):
            yield f"spec.hosts[{i}] is {host!r}: route exact host names."


def _sidecar_egress(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    if not is_istio_kind(resource_type, "Sidecar"):
        return
    for i, listener in enumerate(items(props, "spec", "egress")):
        for j, host in enumerate(items(listener, "hosts")):
            if str(host) in ("*/*", "*"):
                yield (
                    f"spec.egress[{i}].hosts[{j}] is {host!r}: the proxy can reach every "
                    "service in the mesh. "
                    "List the namespaces/hosts the workload calls."
                )


ALLOWED_WILDCARDS = {
    "allowedHosts": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Wildcard ServiceEntry hosts approved as exceptions (each still needs a review).",
    }
}


def _service_entry_hosts(resource_type: str, props: Mapping[str, Any], config: Config) -> Iterator[str]:
    if not is_istio_kind(resource_type, "ServiceEntry"):
        return
    allowed = {str(h) for h in config.get("allowedHosts") or []}
    for i, host in enumerate(items(props, "spec", "hosts")):
        if is_wildcard_host(str(host)) and str(host) not in allowed:
            yield (
                f"spec.hosts[{i}] is {host!r}: declare each external host exactly (SM-DR8 named "
                "destinations)."
            )


VIRTUAL_SERVICE_NO_WILDCARD_HOSTS = resource_policy(
    "virtual-service-no-wildcard-hosts",
    "VirtualServices route exact hosts, never `*` or `*.domain`.",
    _virtual_service_hosts,
    severity=Severity.MEDIUM,
    control="SC-7",
    spec="C-4.4-3",
    remediation="Replace wildcard hosts with the exact host names this VirtualService routes.",
)

SIDECAR_NO_UNRESTRICTED_EGRESS = resource_policy(
    "sidecar-no-unrestricted-egress",
    "A Sidecar never opens egress to every namespace and host (`*/*`).",
    _sidecar_egress,
    severity=Severity.HIGH,
    control="AC-4",
    spec="SM-DR2",
    remediation=(
        "List only the workload's dependencies in spec.egress[].hosts (`<ns>/<host>`, `istio-system/*`)."
    ),
)

SERVICE_ENTRY_NO_WILDCARD_HOSTS = resource_policy(
    "service-entry-no-wildcard-hosts",
    "ServiceEntries name each external host exactly (no `*` or `*.domain`).",
    _service_entry_hosts,
    severity=Severity.HIGH,
    control="SC-7",
    spec="SM-DR8",
    remediation="Declare one exact host per dependency, or add an approved exception to allowedHosts.",
    config=ALLOWED_WILDCARDS,
)

POLICIES = [
    VIRTUAL_SERVICE_NO_WILDCARD_HOSTS,
    SIDECAR_NO_UNRESTRICTED_EGRESS,
    SERVICE_ENTRY_NO_WILDCARD_HOSTS,
]
