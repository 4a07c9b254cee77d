"""Helm values for the four Istio charts, built from ServiceMeshArgs (pure functions, no resources).

Keys follow the charts' current layout, where settings sit at the top level of each chart's
values (`cni.enabled`, `env`, `meshConfig`, ...), not under the old `pilot.` prefix.
"""

from __future__ import annotations

from typing import Any

from components.automount import automount_reason
from components.mesh_args import ServiceMeshArgs

# A second mount of the plug-in CA Secret that, unlike the chart's own mount, is not optional:
# istiod cannot start without the enterprise intermediate CA, so it never falls back to
# generating a self-signed root (SM-DR12). The policy pack looks for this volume.
ENTERPRISE_CA_VOLUME = "enterprise-ca-required"
CACERTS_SECRET = "cacerts"  # noqa: S105 - a Secret name, not a secret

_RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}

# The charts' own defaults request CPU and memory but set no limit, so one runaway pod can take a
# node's memory (SC-6). Requests stay at the upstream defaults; the memory limit bounds each pod.
# istiod's memory grows with the mesh's size (it holds every proxy's config), hence the headroom.
ISTIOD_RESOURCES = {
    "requests": {"cpu": "500m", "memory": "2048Mi"},
    "limits": {"memory": "4096Mi"},
}
CNI_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "100Mi"},
    "limits": {"memory": "512Mi"},
}


def mesh_config(args: ServiceMeshArgs) -> dict[str, Any]:
    """meshConfig: egress lock-down, JSON access logs, proxy start order, cert TTL, tracing hook."""
    config: dict[str, Any] = {
        "trustDomain": args.trust_domain,
        "outboundTrafficPolicy": {
            "mode": "ALLOW_ANY" if args.allow_any_outbound_insecure else "REGISTRY_ONLY"
        },
        # Encoding of the built-in `envoy` access log provider the Telemetry resource turns on.
        "accessLogEncoding": "JSON",
        "enablePrometheusMerge": True,
        "defaultConfig": {
            "holdApplicationUntilProxyStarts": args.hold_application_until_proxy_starts,
            # The lifetime the sidecar asks for; istiod caps it with MAX_WORKLOAD_CERT_TTL.
            "proxyMetadata": {"SECRET_TTL": f"{args.workload_cert_ttl_hours}h"},
        },
    }
    if args.tracing is not None:
        config["extensionProviders"] = [
            {
                "name": args.tracing.provider_name,
                "opentelemetry": {"service": args.tracing.service, "port": args.tracing.port},
            }
        ]
    return config


def istiod_values(args: ServiceMeshArgs, revision: str) -> dict[str, Any]:
    """Values of one istiod revision."""
    ttl = f"{args.workload_cert_ttl_hours}h"
    env: dict[str, str] = {"DEFAULT_WORKLOAD_CERT_TTL": ttl, "MAX_WORKLOAD_CERT_TTL": ttl}
    global_values: dict[str, Any] = {
        "istioNamespace": args.root_namespace,
        "logAsJson": True,
        "networkPolicy": {"enabled": True},
        "proxy": {"clusterDomain": args.cluster_domain},
    }
    values: dict[str, Any] = {
        "revision": revision,
        "replicaCount": args.istiod_replicas,
        "autoscaleMin": args.istiod_replicas,
        "seccompProfile": {"type": "RuntimeDefault"},
        "resources": ISTIOD_RESOURCES,
        "podAnnotations": automount_reason(
            "istiod watches Services, Pods and Istio resources, and runs the injection webhook"
        ),
        "cni": {"enabled": not args.cni_disabled_insecure},
        "env": env,
        "global": global_values,
        "meshConfig": mesh_config(args),
    }
    if args.self_signed_ca_insecure:
        return values
    if args.ca.mode == "cacerts":
        values["volumes"] = [
            {"name": ENTERPRISE_CA_VOLUME, "secret": {"secretName": CACERTS_SECRET, "optional": False}}
        ]
        values["volumeMounts"] = [
            {"name": ENTERPRISE_CA_VOLUME, "mountPath": "/etc/enterprise-ca", "readOnly": True}
        ]
    else:
        # istio-csr signs workload certificates; istiod's built-in CA (and its self-signed root)
        # is switched off. The stock chart already mounts istio-csr's serving certificate.
        env["ENABLE_CA_SERVER"] = "false"
        global_values["caAddress"] = args.ca.istio_csr_address
    return values


def base_values(args: ServiceMeshArgs) -> dict[str, Any]:
    """The base chart's cluster-wide validation webhook points at the stable revision."""
    return {"defaultRevision": args.revision, "global": {"istioNamespace": args.root_namespace}}


def cni_values(args: ServiceMeshArgs) -> dict[str, Any]:
    """The CNI node agent skips system namespaces, which carry no sidecars."""
    return {
        "excludeNamespaces": sorted({"kube-system", args.root_namespace, args.cni_namespace}),
        "seccompProfile": {"type": "RuntimeDefault"},
        "resources": CNI_RESOURCES,
        "podAnnotations": automount_reason("the CNI agent reads the Pods and Namespaces it sets up"),
        "global": {"logAsJson": True, "networkPolicy": {"enabled": True}},
    }


def _gateway_ports(with_http: bool) -> list[dict[str, Any]]:
    ports: list[dict[str, Any]] = [
        {"name": "status-port", "port": 15021, "protocol": "TCP", "targetPort": 15021}
    ]
    if with_http:
        ports.append({"name": "http2", "port": 80, "protocol": "TCP", "targetPort": 80})
    ports.append({"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443})
    return ports


def gateway_values(
    args: ServiceMeshArgs,
    *,
    replicas: int,
    service_type: str,
    service_annotations: dict[str, str],
    with_http: bool,
) -> dict[str, Any]:
    """Values of one gateway release, injected by the stable revision, restricted pod security."""
    return {
        "revision": args.revision,
        # The chart's NetworkPolicy opens the gateway's ports inside its default-deny namespace.
        "global": {"networkPolicy": {"enabled": True}},
        "replicaCount": replicas,
        "autoscaling": {"enabled": True, "minReplicas": replicas, "maxReplicas": max(replicas, 5)},
        "podDisruptionBudget": {"minAvailable": 1},
        # The gateway chart has no pod-level automount switch. The proxy itself does not use the
        # token: it authenticates to istiod with the projected `istio-token` the injection adds.
        "podAnnotations": automount_reason(
            "the gateway chart offers no automountServiceAccountToken value; the proxy uses its "
            "projected istio-token, not this token"
        ),
        "service": {
            "type": service_type,
            "annotations": dict(service_annotations),
            "ports": _gateway_ports(with_http),
        },
        # Binding ports 80/443 as non-root needs only this namespaced sysctl (allowed by the
        # restricted Pod Security level); the chart drops every capability in the container.
        "securityContext": {
            **_RESTRICTED_POD,
            "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}],
        },
    }
