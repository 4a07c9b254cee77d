"""Traces: the OpenTelemetry Collector the sidecars send spans to, and Tempo behind it.

The sidecars' tracing provider (meshConfig.extensionProviders[].opentelemetry) points at the
collector's Service, `otel-collector.<namespace>.svc.<cluster domain>:4317`, which the chart
names after `fullnameOverride` and serves on its `otlp` port. The collector batches spans and
exports them to Tempo over OTLP gRPC inside the monitoring namespace.
"""

from __future__ import annotations

from typing import Any

from components.automount import automount_reason
from components.observability_args import (
    MONITOR_SELECTOR_LABELS,
    OTEL_RELEASE,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    TEMPO_OTLP_GRPC_PORT,
    TEMPO_RELEASE,
    ObservabilityArgs,
)
from components.observability_security import resources, restricted_container, restricted_pod

# The Kubernetes distribution of the collector: OTLP, batching, memory limits, health checks.
OTEL_IMAGE = "otel/opentelemetry-collector-k8s"
OTEL_COMMAND = "otelcol-k8s"  # the binary of that image (the chart's default names another distribution's)
TEMPO_EXPORTER = "otlp_grpc/tempo"


def tempo_otlp_endpoint(args: ObservabilityArgs) -> str:
    return f"{TEMPO_RELEASE}.{args.namespace}.svc.{args.cluster_domain}:{TEMPO_OTLP_GRPC_PORT}"


def otel_collector_config(args: ObservabilityArgs) -> dict[str, Any]:
    """Collector pipeline: OTLP in, memory limit and batching, OTLP gRPC out to Tempo.

    `None` removes the chart's default receivers (Jaeger, Zipkin, self-scrape) and pipelines.
    """
    return {
        "receivers": {
            "jaeger": None,
            "zipkin": None,
            "prometheus": None,
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_GRPC_PORT}"},
                    "http": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_HTTP_PORT}"},
                }
            },
        },
        "exporters": {
            "debug": None,
            # Plain gRPC to Tempo: both ends are in the monitoring namespace, which only the
            # collector, Grafana and Kiali may reach (NetworkPolicy); neither is in the mesh.
            TEMPO_EXPORTER: {"endpoint": tempo_otlp_endpoint(args), "tls": {"insecure": True}},
        },
        "service": {
            "pipelines": {
                "logs": None,
                "metrics": None,
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "batch"],
                    "exporters": [TEMPO_EXPORTER],
                },
            }
        },
    }


def otel_collector_values(args: ObservabilityArgs) -> dict[str, Any]:
    """The collector as a Deployment whose Service is `otel-collector` with port `otlp` 4317."""
    return {
        "mode": "deployment",
        "fullnameOverride": OTEL_RELEASE,
        "image": {"repository": OTEL_IMAGE},
        "command": {"name": OTEL_COMMAND},
        "replicaCount": 1,
        # The chart has no pod-level automount switch; this pipeline has no k8sattributes
        # processor, so the collector never uses the token.
        "podAnnotations": automount_reason(
            "the collector chart offers no automountServiceAccountToken value; unused by this pipeline"
        ),
        "ports": {
            "otlp": {"enabled": True, "containerPort": OTLP_GRPC_PORT, "servicePort": OTLP_GRPC_PORT},
            "otlp-http": {"enabled": True, "containerPort": OTLP_HTTP_PORT, "servicePort": OTLP_HTTP_PORT},
            "jaeger-compact": {"enabled": False},
            "jaeger-thrift": {"enabled": False},
            "jaeger-grpc": {"enabled": False},
            "zipkin": {"enabled": False},
            "metrics": {"enabled": True},
        },
        "config": otel_collector_config(args),
        "podSecurityContext": restricted_pod(10001),
        "securityContext": restricted_container(),
        "resources": resources("100m", "256Mi", "500m", "512Mi"),
        "serviceMonitor": {"enabled": True, "extraLabels": dict(MONITOR_SELECTOR_LABELS)},
    }


def tempo_values(args: ObservabilityArgs) -> dict[str, Any]:
    """Tempo single binary on a persistent volume; OTLP gRPC is its only receiver."""
    persistence: dict[str, Any] = {"enabled": True, "size": args.tempo_volume_size}
    if args.storage_class:
        persistence["storageClassName"] = args.storage_class
    return {
        "fullnameOverride": TEMPO_RELEASE,
        "tempo": {
            "retention": args.trace_retention,
            "reportingEnabled": False,
            "receivers": {
                "jaeger": None,
                "otlp": {"protocols": {"grpc": {"endpoint": f"0.0.0.0:{TEMPO_OTLP_GRPC_PORT}"}, "http": None}},
            },
            "securityContext": restricted_container(),
            "resources": resources("250m", "512Mi", "1", "2Gi"),
        },
        "securityContext": restricted_pod(10001, fs_group=10001),
        # Tempo never calls the Kubernetes API.
        "serviceAccount": {"automountServiceAccountToken": False},
        "persistence": persistence,
        "serviceMonitor": {"enabled": True, "additionalLabels": dict(MONITOR_SELECTOR_LABELS)},
    }
