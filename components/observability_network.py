"""NetworkPolicies of the two observability namespaces: deny ingress, then open what is needed.

The monitoring stack is not in the mesh (Prometheus must scrape sidecars from outside it), so
these policies are its L3/L4 boundary: sidecars anywhere may send spans to the collector, the
node agents may push logs to Loki, the UI namespaces may reach Grafana and Kiali, and nothing
else gets in.

Both namespaces also deny egress by default. The node namespace may dial only DNS, Loki and the
API. The monitoring namespace's allow-list (`monitoring_egress_policies`) is what the stack
dials, port by port: its own namespace, DNS, the API server, and for Prometheus alone the scrape
targets this component configures (kubelets, node-exporters, Envoy sidecars and gateways,
istiod, CoreDNS, Alloy). Alertmanager may reach public HTTPS only when receivers are configured.
A team that adds a ServiceMonitor on another port, or a receiver at a private address, adds a
NetworkPolicy of its own beside these (NetworkPolicies only ever add allowances).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.network_policy import (
    KUBE_DNS_LABELS,
    PRIVATE_RANGES,
    SIDECAR_METRICS_PORTS,
    dns_egress_rule,
    ip_block_peers,
    public_peers,
)
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

# What Prometheus scrapes outside its namespace (the chart's and this component's monitors).
KUBELET_PORT = 10250  # kubelet, cAdvisor and probe metrics, on the node's address
NODE_EXPORTER_PORT = 9100  # host network: the node's address
ISTIOD_MONITORING_PORT = 15014
COREDNS_METRICS_PORT = 9153
ALLOY_METRICS_PORT = 12345


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _namespaces(*names: str) -> dict[str, Any]:
    return {
        "namespaceSelector": {
            "matchExpressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": list(names)}]
        }
    }


def _pods(namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A peer: the pods with `labels` in `namespace`."""
    return {**_namespaces(namespace), "podSelector": {"matchLabels": dict(labels)}}


def _instance(name: str) -> dict[str, Any]:
    return {"matchLabels": {"app.kubernetes.io/instance": name}}


def _named(*names: str) -> dict[str, Any]:
    """Pods whose `app.kubernetes.io/name` is one of `names` (the operator labels Prometheus and
    Alertmanager pods this way, the charts their own)."""
    return {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": list(names)}]}


def deny_all_ingress() -> dict[str, Any]:
    return {"podSelector": {}, "policyTypes": ["Ingress"]}


def deny_all_egress() -> dict[str, Any]:
    return {"podSelector": {}, "policyTypes": ["Egress"]}


def node_addresses(args: ObservabilityArgs) -> tuple[str, ...]:
    """The CIDRs holding the nodes and the API server's endpoints (`args.node_cidrs`, or the
    private ranges)."""
    return args.node_cidrs or PRIVATE_RANGES


def monitoring_egress_policies(args: ObservabilityArgs) -> Mapping[str, dict[str, Any]]:
    """Policy name -> spec: the monitoring namespace's egress, denied but for what it dials.

    - every pod: its own namespace (Grafana, Kiali and the collector reach Prometheus, Loki and
      Tempo; Prometheus its own exporters), DNS, and the API server (the operator, Prometheus's
      service discovery, Grafana's sidecars, Kiali, the collector's Kubernetes attributes);
    - Prometheus: the kubelets and node-exporters on the nodes' addresses, Envoy's and the
      agent's metrics ports in every namespace, istiod's monitoring port, CoreDNS's metrics and
      Alloy's in the node namespace;
    - Alertmanager, only with receivers: HTTPS to public addresses (Slack, PagerDuty, webhooks).
    """
    nodes = node_addresses(args)
    policies: dict[str, dict[str, Any]] = {
        "default-deny-egress": deny_all_egress(),
        "allow-egress-namespace-dns-api": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"podSelector": {}}]},
                dns_egress_rule(),
                {"to": ip_block_peers(nodes), "ports": _tcp(args.api_server_port)},
            ],
        },
        "allow-egress-prometheus-scrape": {
            "podSelector": _named("prometheus"),
            "policyTypes": ["Egress"],
            "egress": [
                {"to": ip_block_peers(nodes), "ports": _tcp(KUBELET_PORT, NODE_EXPORTER_PORT)},
                {"to": [{"namespaceSelector": {}}], "ports": _tcp(*SIDECAR_METRICS_PORTS)},
                {"to": [_pods(args.mesh_root_namespace, {"app": "istiod"})], "ports": _tcp(ISTIOD_MONITORING_PORT)},
                {"to": [_pods("kube-system", KUBE_DNS_LABELS)], "ports": _tcp(COREDNS_METRICS_PORT)},
                {"to": [_namespaces(args.node_namespace)], "ports": _tcp(ALLOY_METRICS_PORT)},
            ],
        },
    }
    if args.alerting.receivers:
        policies["allow-egress-alertmanager-receivers"] = {
            "podSelector": _named("alertmanager"),
            "policyTypes": ["Egress"],
            "egress": [
                {"to": public_peers(), "ports": _tcp(443)}
            ],
        }
    return policies


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
    policies.update(monitoring_egress_policies(args))
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

    The API server's endpoints (EKS control-plane ENIs) carry no selectable labels, so the API is
    allowed by address: `node_addresses(args)` on `args.api_server_port`. node-exporter runs on
    the host network, where NetworkPolicies do not apply, and dials nothing.
    """
    return {
        "default-deny-ingress": deny_all_ingress(),
        "allow-scrape-from-monitoring": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [_namespaces(args.namespace)]}],
        },
        "default-deny-egress": deny_all_egress(),
        "allow-egress-dns-loki-api": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                dns_egress_rule(),
                {"to": [_pods(args.namespace, {"app.kubernetes.io/instance": LOKI_RELEASE})], "ports": _tcp(LOKI_PORT)},
                {"to": ip_block_peers(node_addresses(args)), "ports": _tcp(args.api_server_port)},
            ],
        },
    }
