"""Specs of the mesh-wide Istio resources (pure functions, so tests and docs can read them)."""

from __future__ import annotations

from typing import Any

from components.mesh_args import IngressGatewayArgs, ServiceMeshArgs


def peer_authentication_spec(args: ServiceMeshArgs) -> dict[str, Any]:
    """Mesh-wide mTLS: no selector, in the root namespace, STRICT unless named otherwise (SM-DR6)."""
    return {"mtls": {"mode": args.mtls_mode_insecure or "STRICT"}}


def allow_nothing_spec() -> dict[str, Any]:
    """An ALLOW policy with no rules matches nothing, so every request is denied (SM-DR1).

    Per-service ALLOW policies then open exactly the declared call paths.
    """
    return {"action": "ALLOW"}


def telemetry_spec(args: ServiceMeshArgs) -> dict[str, Any]:
    """Access logs for every proxy through the Telemetry API, plus the tracing hook when set."""
    logging: dict[str, Any] = {"providers": [{"name": "envoy"}]}
    if args.access_logging_disabled_insecure:
        logging["disabled"] = True
    spec: dict[str, Any] = {"accessLogging": [logging]}
    if args.tracing is not None:
        spec["tracing"] = [
            {
                "providers": [{"name": args.tracing.provider_name}],
                "randomSamplingPercentage": args.tracing.sampling_percent,
            }
        ]
    return spec


def ingress_gateway_spec(ingress: IngressGatewayArgs, selector: dict[str, str]) -> dict[str, Any]:
    """HTTPS on 443 with TLS from a Secret and a TLS floor; port 80 only redirects (by default)."""
    hosts = list(ingress.hosts)
    servers: list[dict[str, Any]] = [
        {
            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
            "hosts": hosts,
            "tls": {
                "mode": "SIMPLE",
                "credentialName": ingress.credential_name,
                "minProtocolVersion": ingress.min_tls_version,
            },
        }
    ]
    if ingress.plaintext_http_insecure:
        servers.append({"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": hosts})
    elif ingress.http_redirect:
        servers.append(
            {
                "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                "hosts": hosts,
                "tls": {"httpsRedirect": True},
            }
        )
    return {"selector": dict(selector), "servers": servers}
