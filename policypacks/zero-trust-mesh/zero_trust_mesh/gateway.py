"""Gateway: explicit hosts, HTTPS only (port 80 redirects), TLS 1.2+ from a Secret."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .meta import Config, resource_policy
from .walk import get, is_istio_kind, is_wildcard_host, items, mapping

STRONG_TLS = ("TLSV1_2", "TLSV1_3")
TERMINATING_MODES = ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL")


def _servers(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if is_istio_kind(resource_type, "Gateway"):
        for i, server in enumerate(items(props, "spec", "servers")):
            yield i, server if isinstance(server, Mapping) else {}


def _protocol(server: Mapping[str, Any]) -> str:
    return str(get(server, "port", "protocol", default="")).upper()


def _no_wildcard_hosts(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    for i, server in _servers(resource_type, props):
        for j, host in enumerate(items(server, "hosts")):
            if is_wildcard_host(str(host)):
                yield (
                    f"spec.servers[{i}].hosts[{j}] is {host!r}: list exact host names (optionally "
                    "`<ns>/<host>`)."
                )


def _https_redirect(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    for i, server in _servers(resource_type, props):
        if _protocol(server) == "HTTP" and get(server, "tls", "httpsRedirect") is not True:
            yield (
                f"spec.servers[{i}] serves plaintext HTTP: set tls.httpsRedirect: true (or drop the server)."
            )


def _https_servers(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for i, server in _servers(resource_type, props):
        mode = str(get(server, "tls", "mode", default="SIMPLE")).upper()
        if _protocol(server) in ("HTTPS", "TLS") and mode in TERMINATING_MODES:
            yield i, mapping(server, "tls")


def _tls_min_version(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    for i, tls in _https_servers(resource_type, props):
        version = str(tls.get("minProtocolVersion", "TLS_AUTO")).upper()
        if version not in STRONG_TLS:
            yield f"spec.servers[{i}].tls.minProtocolVersion is {version}: set TLSV1_2 or TLSV1_3."


def _tls_credential(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    for i, tls in _https_servers(resource_type, props):
        if not tls.get("credentialName") and not items(tls, "credentialNames"):
            yield (
                f"spec.servers[{i}].tls has no credentialName: keep the certificate in a "
                "Kubernetes TLS Secret "
                "(rotated by cert-manager) rather than files in the gateway pod."
            )


GATEWAY_NO_WILDCARD_HOSTS = resource_policy(
    "gateway-no-wildcard-hosts",
    "Gateway servers list explicit hosts: no `*`, `*.domain` or `<ns>/*`.",
    _no_wildcard_hosts,
    severity=Severity.HIGH,
    control="SC-7",
    spec="C-4.4-3",
    remediation=(
        "Replace wildcard hosts with the exact host names the gateway serves (Istio security best practices)."
    ),
)

GATEWAY_HTTPS_REDIRECT = resource_policy(
    "gateway-https-redirect",
    "A Gateway serves plaintext HTTP only to redirect to HTTPS.",
    _https_redirect,
    severity=Severity.HIGH,
    control="SC-8",
    spec="MS-SS-4",
    remediation="Set tls.httpsRedirect: true on every HTTP server, or remove the HTTP server.",
)

GATEWAY_TLS_MIN_VERSION = resource_policy(
    "gateway-tls-min-version",
    "HTTPS and TLS Gateway servers accept TLS 1.2 or later only.",
    _tls_min_version,
    severity=Severity.HIGH,
    control="SC-8",
    spec="MS-SS-4",
    remediation="Set tls.minProtocolVersion: TLSV1_2 (or TLSV1_3) on every HTTPS/TLS server.",
)

GATEWAY_TLS_CREDENTIAL = resource_policy(
    "gateway-tls-credential-name",
    "HTTPS and TLS Gateway servers take their certificate from a Secret (credentialName).",
    _tls_credential,
    severity=Severity.MEDIUM,
    control="SC-12",
    spec="MS-SS-4",
    remediation="Set tls.credentialName to a kubernetes.io/tls Secret in the gateway's namespace.",
)

POLICIES = [
    GATEWAY_NO_WILDCARD_HOSTS,
    GATEWAY_HTTPS_REDIRECT,
    GATEWAY_TLS_MIN_VERSION,
    GATEWAY_TLS_CREDENTIAL,
]
