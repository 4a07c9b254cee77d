"""NetworkPolicies of the two observability namespaces: deny ingress, then open what is needed.

The monitoring stack is not in the mesh (Prometheus must scrape sidecars from outside it), so
these policies are its L3/L4 boundary: sidecars anywhere may send spans to the collector, the
node agents may push logs to Loki, the UI namespaces may reach Grafana and Kiali, and nothing
else gets in. The node namespace also denies egress except DNS, Loki and the API; the monitoring
namespace's egress stays open (scraping reaches every namespace and node, on ports the
ServiceMonitors choose, and Alertmanager reaches its receivers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.observability_args import (
    KIALI_RELEASE,
    LOKI_PORT,
    LOKI_RELEASE,
    OTEL_RELEASE,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    ObservabilityArgs,
)

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
GRAFANA_CONTAINER_PORT = 3000
KIALI_CONTAINER_PORT = 20001


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _namespaces(*names: str) -> dict[str, Any]:
    return {
        "namespaceSelector": {
            "matchExpressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": list(names)}]
        }
    }


def _instance(name: str) -> dict[str, Any]:
    return {"matchLabels": {"app.kubernetes.io/instance": name}}


def deny_all_ingress() -> dict[str, Any]:
    return {"podSelector": {}, "policyTypes": ["Ingress"]}


def monitoring_policies(args: ObservabilityArgs) -> Mapping[str, dict[str, Any]]:
    """Policy name -> spec, for the restricted monitoring namespace."""
    policies: dict[str, dict[str, Any]] = {
        "default-deny-ingress": deny_all_ingress(),
        "allow-same-namespace": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {}}]}],
        },
        # Every sidecar in the cluster sends spans to the collector.
        "allow-otlp-from-cluster": {
            "podSelector": _instance(OTEL_RELEASE),
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {}}], "ports": _tcp(OTLP_GRPC_PORT, OTLP_HTTP_PORT)}],
        },
        "allow-log-push-from-node-agents": {
            "podSelector": _instance(LOKI_RELEASE),
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [_namespaces(args.node_namespace)], "ports": _tcp(LOKI_PORT)}],
        },
    }
    if args.ui_access_namespaces:
        policies["allow-ui-from-access-namespaces"] = {
            "podSelector": {
                "matchExpressions": [
                    {
                        "key": "app.kubernetes.io/name",
                        "operator": "In",
                        "values": ["grafana", KIALI_RELEASE],
                    }
                ]
            },
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [_namespaces(*args.ui_access_namespaces)],
                    "ports": _tcp(GRAFANA_CONTAINER_PORT, KIALI_CONTAINER_PORT),
                }
            ],
        }
    return policies


def node_policies(args: ObservabilityArgs) -> Mapping[str, dict[str, Any]]:
    """Policy name -> spec, for the node agents' namespace: only Prometheus may connect, and the
    log collector may dial only DNS, Loki and the Kubernetes API (its pod discovery).

    The API server's endpoints (EKS control-plane ENIs) carry no selectable labels and no address
    known here, so it is allowed by port (TCP 443) to any address. node-exporter runs on the host
    network, where NetworkPolicies do not apply, and dials nothing.
    """
    return {
        "default-deny-ingress": deny_all_ingress(),
        "allow-scrape-from-monitoring": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [_namespaces(args.namespace)]}],
        },
        "default-deny-egress": {"podSelector": {}, "policyTypes": ["Egress"]},
        "allow-egress-dns-loki-api": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{**_namespaces("kube-system"), "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                {
                    "to": [{**_namespaces(args.namespace), "podSelector": _instance(LOKI_RELEASE)}],
                    "ports": _tcp(LOKI_PORT),
                },
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(443)},
            ],
        },
    }
