"""What Prometheus scrapes in the mesh: istiod, every Envoy sidecar, the gateways.

Selectors follow the labels Istio's own charts put on its objects:

- istiod's Service carries `app: istiod` (every revision) and names its metrics port
  `http-monitoring` (15014);
- every injected pod carries `security.istio.io/tlsMode` and an `istio-proxy` container whose
  port 15090 is named `http-envoy-prom` (Envoy's `/stats/prometheus`);
- the gateway chart labels its pods `istio: <release name without "istio-">`
  (`istio: ingressgateway` for the `istio-ingressgateway` release).

The pilot-agent's own metrics (`istio_agent_*`, e.g. the workload certificate's remaining
lifetime) are only served on the merged endpoint, port 15020; the second sidecar endpoint reads
it and keeps just those series, so Envoy's are not scraped twice.
"""

from __future__ import annotations

from typing import Any

from components.observability_args import ObservabilityArgs

ISTIOD_SERVICE_LABELS = {"app": "istiod"}
ISTIOD_METRICS_PORT = "http-monitoring"
SIDECAR_LABEL = "security.istio.io/tlsMode"
GATEWAY_LABEL = "istio"
ENVOY_METRICS_PORT = "http-envoy-prom"
ENVOY_METRICS_PATH = "/stats/prometheus"
AGENT_METRICS_PORT_NUMBER = 15020
SCRAPE_INTERVAL = "15s"

_KEEP_ISTIO_PROXY = {
    "action": "keep",
    "sourceLabels": ["__meta_kubernetes_pod_container_name"],
    "regex": "istio-proxy",
}


def istiod_service_monitor(args: ObservabilityArgs) -> dict[str, Any]:
    """istiod's control-plane metrics (pilot_xds_*, pilot_proxy_convergence_time, citadel_*)."""
    return {
        # job="istiod" for every revision (the Service name carries the revision).
        "jobLabel": "app",
        "selector": {"matchLabels": dict(ISTIOD_SERVICE_LABELS)},
        "namespaceSelector": {"matchNames": [args.mesh_root_namespace]},
        "endpoints": [{"port": ISTIOD_METRICS_PORT, "interval": SCRAPE_INTERVAL}],
    }


def sidecar_pod_monitor(args: ObservabilityArgs) -> dict[str, Any]:
    """Every Envoy sidecar in every namespace (istio_requests_total and friends)."""
    return {
        "selector": {
            "matchExpressions": [
                {"key": SIDECAR_LABEL, "operator": "Exists"},
                # Gateways have their own monitor; NotIn also matches pods without the label.
                {"key": GATEWAY_LABEL, "operator": "NotIn", "values": list(args.gateway_labels)},
            ]
        },
        "namespaceSelector": {"any": True},
        "podMetricsEndpoints": [
            {
                "port": ENVOY_METRICS_PORT,
                "path": ENVOY_METRICS_PATH,
                "interval": SCRAPE_INTERVAL,
                "relabelings": [dict(_KEEP_ISTIO_PROXY)],
            },
            {
                "port": ENVOY_METRICS_PORT,
                "path": ENVOY_METRICS_PATH,
                "interval": "60s",
                "relabelings": [
                    dict(_KEEP_ISTIO_PROXY),
                    {
                        "action": "replace",
                        "sourceLabels": ["__meta_kubernetes_pod_ip"],
                        "targetLabel": "__address__",
                        "replacement": f"$1:{AGENT_METRICS_PORT_NUMBER}",
                    },
                ],
                "metricRelabelings": [
                    {"action": "keep", "sourceLabels": ["__name__"], "regex": "istio_agent_.*"}
                ],
            },
        ],
    }


def gateway_pod_monitor(args: ObservabilityArgs) -> dict[str, Any]:
    """The ingress and egress gateways' Envoy metrics."""
    return {
        "selector": {
            "matchExpressions": [
                {"key": GATEWAY_LABEL, "operator": "In", "values": list(args.gateway_labels)}
            ]
        },
        "namespaceSelector": {"any": True},
        "podMetricsEndpoints": [
            {"port": ENVOY_METRICS_PORT, "path": ENVOY_METRICS_PATH, "interval": SCRAPE_INTERVAL}
        ],
    }
