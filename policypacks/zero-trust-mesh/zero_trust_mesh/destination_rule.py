"""DestinationRule: TLS stays on inside the mesh, and originated TLS verifies the server."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .meta import Config, resource_policy
from .walk import get, is_istio_kind, is_mesh_internal_host, items, mapping

CLUSTER_DOMAIN = {
    "clusterDomain": {
        "type": "string",
        "default": "cluster.local",
        "description": "Kubernetes DNS domain; hosts under it are inside the mesh.",
    }
}


def tls_settings(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every `tls` block of a DestinationRule with its field path."""

    def from_policy(policy: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        if tls := mapping(policy, "tls"):
            yield f"{path}.tls", tls
        for i, setting in enumerate(items(policy, "portLevelSettings")):
            if tls := mapping(setting, "tls"):
                yield f"{path}.portLevelSettings[{i}].tls", tls

    yield from from_policy(get(props, "spec", "trafficPolicy"), "spec.trafficPolicy")
    for j, subset in enumerate(items(props, "spec", "subsets")):
        yield from from_policy(get(subset, "trafficPolicy"), f"spec.subsets[{j}].trafficPolicy")


def _no_tls_disable(resource_type: str, props: Mapping[str, Any], config: Config) -> Iterator[str]:
    if not is_istio_kind(resource_type, "DestinationRule"):
        return
    host = str(get(props, "spec", "host", default=""))
    if not is_mesh_internal_host(host, str(config["clusterDomain"])):
        return
    for path, tls in tls_settings(props):
        if str(tls.get("mode", "")).upper() == "DISABLE":
            yield (
                f"{path}.mode is DISABLE for in-mesh host {host!r}: traffic leaves the proxy in "
                "plaintext. Use ISTIO_MUTUAL."
            )


def _verifies_server(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    if not is_istio_kind(resource_type, "DestinationRule"):
        return
    for path, tls in tls_settings(props):
        mode = str(tls.get("mode", "")).upper()
        if mode not in ("SIMPLE", "MUTUAL"):
            continue
        if tls.get("insecureSkipVerify") is True:
            yield f"{path}.insecureSkipVerify is true: the server certificate is not checked. Remove it."
        elif not tls.get("caCertificates") and not tls.get("credentialName"):
            yield (
                f"{path} originates {mode} TLS without caCertificates or credentialName: set caCertificates "
                "(and subjectAltNames) so the server's certificate is verified."
            )


DESTINATION_RULE_NO_TLS_DISABLE = resource_policy(
    "destination-rule-no-tls-disable",
    "No DestinationRule for an in-mesh host turns TLS off (trafficPolicy, port-level or subset).",
    _no_tls_disable,
    severity=Severity.HIGH,
    control="SC-8",
    spec="SM-DR6",
    remediation="Set tls.mode to ISTIO_MUTUAL (or remove the tls block so auto mTLS applies).",
    config=CLUSTER_DOMAIN,
)

DESTINATION_RULE_TLS_VERIFIES_SERVER = resource_policy(
    "destination-rule-tls-verifies-server",
    (
        "A DestinationRule that originates SIMPLE or MUTUAL TLS verifies the server "
        "(caCertificates or credentialName)."
    ),
    _verifies_server,
    severity=Severity.HIGH,
    control="SC-8",
    spec="SM-DR8",
    remediation=(
        "Add tls.caCertificates (for example /etc/ssl/certs/ca-certificates.crt) and "
        "tls.subjectAltNames, or a "
        "tls.credentialName whose Secret holds ca.crt; never set insecureSkipVerify."
    ),
)

POLICIES = [DESTINATION_RULE_NO_TLS_DISABLE, DESTINATION_RULE_TLS_VERIFIES_SERVER]
