"""Istio specs derived from one microservice declaration (pure functions over plain data).

Each function answers one question the declaration settles: who may call (AuthorizationPolicy),
how callers connect (DestinationRule, VirtualService), what the proxy may reach (Sidecar,
ServiceEntry), and how the gateway publishes it (VirtualService, RequestAuthentication).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.mesh_args import MeshRef
from components.microservice_args import MicroserviceArgs

Catalog = Mapping[str, MicroserviceArgs]

# Retry only failures where the request cannot have reached the application twice.
RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,503"


def fqdn(svc: MicroserviceArgs, mesh: MeshRef) -> str:
    return f"{svc.name}.{svc.ns}.svc.{mesh.cluster_domain}"


def app_selector(svc: MicroserviceArgs) -> dict[str, Any]:
    return {"matchLabels": {"app": svc.name}}


def export_to(svc: MicroserviceArgs, catalog: Catalog, mesh: MeshRef) -> list[str]:
    """Namespaces that may see the service's routes and policies: its own and its callers'."""
    namespaces = {"."} | {catalog[c].ns for c in svc.callers}
    if svc.exposure is not None:
        namespaces.add(mesh.ingress_namespace)
    return sorted(namespaces)


def _duration(seconds: float) -> str:
    return f"{seconds:g}s"


def _path_match(path: str) -> list[str]:
    """AuthorizationPolicy paths covering a route prefix (exact match plus everything below)."""
    if path == "/":
        return []
    base = path.rstrip("/")
    return [base, f"{base}/*"]


def authorization_policy_spec(
    svc: MicroserviceArgs, catalog: Catalog, mesh: MeshRef
) -> dict[str, Any] | None:
    """ALLOW only the declared callers' identities on the declared ports; None when nobody may call.

    With no rules of its own the service stays behind the mesh-wide allow-nothing policy.
    """
    rules: list[dict[str, Any]] = []
    if svc.callers:
        principals = sorted(mesh.principal(catalog[c].ns, catalog[c].sa) for c in svc.callers)
        rules.append(
            {
                "from": [{"source": {"principals": principals}}],
                "to": [{"operation": {"ports": [str(p.port) for p in svc.ports]}}],
            }
        )
    if svc.exposure is not None:
        source: dict[str, Any] = {"principals": [mesh.ingress_principal]}
        if svc.exposure.jwt is not None:
            # End-user identity is checked again at the workload, not only at the gateway.
            source["requestPrincipals"] = [f"{svc.exposure.jwt.issuer}/*"]
        operation: dict[str, Any] = {"ports": [str(svc.exposed_port)]}
        if paths := _path_match(svc.exposure.path):
            operation["paths"] = paths
        rules.append({"from": [{"source": source}], "to": [{"operation": operation}]})
    if not rules:
        return None
    return {"selector": app_selector(svc), "action": "ALLOW", "rules": rules}


def destination_rule_spec(svc: MicroserviceArgs, catalog: Catalog, mesh: MeshRef) -> dict[str, Any]:
    """Istio mTLS to the service, with connection limits and outlier ejection (SM-DR6, SC-5)."""
    return {
        "host": fqdn(svc, mesh),
        "exportTo": export_to(svc, catalog, mesh),
        "trafficPolicy": {
            "tls": {"mode": "ISTIO_MUTUAL"},
            "connectionPool": {
                "tcp": {"maxConnections": 100, "connectTimeout": "3s"},
                "http": {"http1MaxPendingRequests": 100, "http2MaxRequests": 1000, "maxRetries": 3},
            },
            "outlierDetection": {
                "consecutive5xxErrors": 5,
                "interval": "10s",
                "baseEjectionTime": "30s",
                "maxEjectionPercent": 50,
            },
        },
    }


def _route(svc: MicroserviceArgs, mesh: MeshRef, port: int) -> dict[str, Any]:
    return {
        "route": [{"destination": {"host": fqdn(svc, mesh), "port": {"number": port}}}],
        "timeout": _duration(svc.timeout_seconds),
        "retries": {
            "attempts": svc.retries,
            "perTryTimeout": _duration(svc.per_try_timeout_seconds),
            "retryOn": RETRY_ON,
        },
    }


def virtual_service_spec(svc: MicroserviceArgs, catalog: Catalog, mesh: MeshRef) -> dict[str, Any] | None:
    """In-mesh routing with a timeout and bounded retries on every HTTP port (None if TCP only)."""
    http = [{"match": [{"port": p.port}], **_route(svc, mesh, p.port)} for p in svc.http_ports]
    if not http:
        return None
    return {"hosts": [fqdn(svc, mesh)], "exportTo": export_to(svc, catalog, mesh), "http": http}


def sidecar_spec(svc: MicroserviceArgs, catalog: Catalog, mesh: MeshRef) -> dict[str, Any]:
    """The proxy knows only the declared dependencies (SM-DR2), and nothing off-registry (SM-DR8)."""
    hosts = {f"{mesh.root_namespace}/*"}
    hosts |= {f"{catalog[c].ns}/{fqdn(catalog[c], mesh)}" for c in svc.calls}
    hosts |= {f"./{h}" for h in svc.external_hosts}
    if mesh.tracing is not None and mesh.tracing.namespace:
        # Spans go to the collector through the proxy, so it must be in the egress list too.
        hosts.add(f"{mesh.tracing.namespace}/{mesh.tracing.service}")
    return {
        "workloadSelector": {"labels": {"app": svc.name}},
        "egress": [{"hosts": sorted(hosts)}],
        "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
    }


def service_entry_spec(host: str) -> dict[str, Any]:
    """One external HTTPS dependency: exact host, port 443, TLS passed through end to end.

    The application originates TLS and verifies the server itself, so no TLS-originating
    DestinationRule is needed (the proxy routes on SNI and never sees plaintext).
    """
    return {
        "hosts": [host],
        "location": "MESH_EXTERNAL",
        "resolution": "DNS",
        "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
        "exportTo": ["."],
    }


def exposure_virtual_service_spec(svc: MicroserviceArgs, mesh: MeshRef) -> dict[str, Any] | None:
    """The gateway route: one exact host and a path prefix, bound to the ingress Gateway only."""
    if svc.exposure is None or svc.exposed_port is None:
        return None
    return {
        "hosts": [svc.exposure.host],
        "gateways": [mesh.ingress_gateway],
        "exportTo": sorted({".", mesh.ingress_namespace}),
        "http": [{"match": [{"uri": {"prefix": svc.exposure.path}}], **_route(svc, mesh, svc.exposed_port)}],
    }


def jwt_rules(svc: MicroserviceArgs) -> list[dict[str, Any]]:
    if svc.exposure is None or svc.exposure.jwt is None:
        return []
    jwt = svc.exposure.jwt
    rule: dict[str, Any] = {"issuer": jwt.issuer, "jwksUri": jwt.jwks_uri, "forwardOriginalToken": True}
    if jwt.audiences:
        rule["audiences"] = list(jwt.audiences)
    return [rule]


def request_authentication_spec(svc: MicroserviceArgs, selector: dict[str, Any]) -> dict[str, Any] | None:
    """Validate the end-user JWT (the token is forwarded so every hop can check it, EAUN-SR-1)."""
    rules = jwt_rules(svc)
    return {"selector": selector, "jwtRules": rules} if rules else None


def gateway_authorization_spec(svc: MicroserviceArgs, mesh: MeshRef) -> dict[str, Any] | None:
    """At the gateway, requests for this host and path need a valid JWT from the issuer."""
    if svc.exposure is None:
        return None
    host = svc.exposure.host
    operation: dict[str, Any] = {"hosts": [host, f"{host}:*"]}
    if paths := _path_match(svc.exposure.path):
        operation["paths"] = paths
    rule: dict[str, Any] = {"to": [{"operation": operation}]}
    if svc.exposure.jwt is not None:
        rule["from"] = [{"source": {"requestPrincipals": [f"{svc.exposure.jwt.issuer}/*"]}}]
    return {"selector": {"matchLabels": dict(mesh.ingress_selector)}, "action": "ALLOW", "rules": [rule]}
