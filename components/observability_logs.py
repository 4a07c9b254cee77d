"""Logs: Loki (monolithic) and the Grafana Alloy node collector, plus the Istio access log format.

Why Alloy: Promtail is end-of-life (Grafana Labs' successor is Alloy), Fluent Bit would need a
separate Lua or parser chain to lift Envoy's JSON into Loki structured metadata, and Alloy's
`loki.process` stages do that natively, next to Kubernetes discovery and relabelling.

Every container's stdout/stderr (sidecars included) is tailed from the node's
`/var/log/pods/*/<container>/*.log` and labelled `namespace`, `app`, `pod`, `container`.
Istio access logs (`container="istio-proxy"`) are parsed as JSON and their `response_code`,
`response_flags` and the mTLS peer identities (`downstream_peer_principal`: the caller's SPIFFE
ID on inbound requests; `upstream_peer_principal`: the callee's on outbound) become Loki
structured metadata: queryable per line without multiplying streams. Example LogQL::

    # 403s served to one caller identity, across the mesh
    {container="istio-proxy"} | response_code="403"
        | downstream_peer_principal="spiffe://cluster.local/ns/shop/sa/frontend"

    # 5xx rate per namespace from access logs
    sum by (namespace) (rate({container="istio-proxy"} | response_code=~"5.." [5m]))
"""

from __future__ import annotations

import json
from typing import Any

from components.automount import automount_reason
from components.observability_args import (
    ALLOY_RELEASE,
    LOKI_RELEASE,
    MONITOR_SELECTOR_LABELS,
    ObservabilityArgs,
)
from components.observability_security import RUNTIME_DEFAULT, resources, restricted_container, restricted_pod

# Fields lifted from each Istio JSON access log line into Loki structured metadata.
ACCESS_LOG_METADATA = ("response_code", "response_flags", "downstream_peer_principal", "upstream_peer_principal")

# The Envoy JSON access log format the mesh should use (meshConfig.accessLogFormat with
# accessLogEncoding JSON). Istio's default JSON format has no peer identities; these do.
ISTIO_ACCESS_LOG_FORMAT: dict[str, str] = {
    "start_time": "%START_TIME%",
    "method": "%REQ(:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "protocol": "%PROTOCOL%",
    "response_code": "%RESPONSE_CODE%",
    "response_flags": "%RESPONSE_FLAGS%",
    "response_code_details": "%RESPONSE_CODE_DETAILS%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
    "duration": "%DURATION%",
    "upstream_service_time": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    "user_agent": "%REQ(USER-AGENT)%",
    "request_id": "%REQ(X-REQUEST-ID)%",
    "traceparent": "%REQ(TRACEPARENT)%",
    "authority": "%REQ(:AUTHORITY)%",
    "upstream_host": "%UPSTREAM_HOST%",
    "upstream_cluster": "%UPSTREAM_CLUSTER_RAW%",
    "upstream_transport_failure_reason": "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
    "downstream_remote_address": "%DOWNSTREAM_REMOTE_ADDRESS%",
    "requested_server_name": "%REQUESTED_SERVER_NAME%",
    "route_name": "%ROUTE_NAME%",
    "downstream_peer_principal": "%DOWNSTREAM_PEER_URI_SAN%",
    "upstream_peer_principal": "%UPSTREAM_PEER_URI_SAN%",
}

# Where the DaemonSet keeps its file positions across restarts (so no line is sent twice).
ALLOY_DATA_DIR = "/var/lib/alloy"


def istio_access_log_format() -> str:
    """The value for the mesh's `meshConfig.accessLogFormat` (with accessLogEncoding JSON)."""
    return json.dumps(ISTIO_ACCESS_LOG_FORMAT, separators=(",", ":"))


def loki_push_url(args: ObservabilityArgs) -> str:
    return f"{args.loki_url}/loki/api/v1/push"


def alloy_config(args: ObservabilityArgs) -> str:
    """The Alloy pipeline: discover this node's pods, tail their logs, parse Istio access logs."""
    lines = "\n".join(f'        {name} = "{name}",' for name in ACCESS_LOG_METADATA)
    metadata = "\n".join(f'        {name} = "",' for name in ACCESS_LOG_METADATA)
    return f"""// Each DaemonSet pod reads only the pods of its own node.
discovery.kubernetes "pods" {{
  role = "pod"
  selectors {{
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }}
}}

discovery.relabel "pod_logs" {{
  targets = discovery.kubernetes.pods.targets
  rule {{
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }}
  // The service: app.kubernetes.io/name, else the `app` label.
  rule {{
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_label_app"]
    separator     = ";"
    regex         = "^;*([^;]+);*.*$"
    target_label  = "app"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]
    separator     = "/"
    target_label  = "__path__"
    replacement   = "/var/log/pods/*$1/*.log"
  }}
}}

local.file_match "pod_logs" {{
  path_targets = discovery.relabel.pod_logs.output
}}

loki.source.file "pod_logs" {{
  targets    = local.file_match.pod_logs.targets
  forward_to = [loki.process.pod_logs.receiver]
}}

loki.process "pod_logs" {{
  // containerd writes CRI lines: time, stream (stdout/stderr), flags, message.
  stage.cri {{}}

  // Envoy access logs (JSON) from every sidecar and gateway.
  stage.match {{
    selector = "{{container=\\"istio-proxy\\"}} |= \\"response_code\\""
    stage.json {{
      expressions = {{
{lines}
      }}
    }}
    stage.structured_metadata {{
      values = {{
{metadata}
      }}
    }}
  }}

  forward_to = [loki.write.default.receiver]
}}

loki.write "default" {{
  endpoint {{
    url = "{loki_push_url(args)}"
  }}
}}
"""


def alloy_values(args: ObservabilityArgs) -> dict[str, Any]:
    """The Alloy DaemonSet. Documented exemption: host paths, so it runs in the node namespace.

    It runs as root because containerd's log files are root-owned 0640; with every capability
    dropped, root reads only what it owns, and the root filesystem stays read-only.
    """
    return {
        "fullnameOverride": ALLOY_RELEASE,
        "crds": {"create": False},
        "global": {"podSecurityContext": {"seccompProfile": dict(RUNTIME_DEFAULT)}},
        "controller": {
            "type": "daemonset",
            "podAnnotations": automount_reason("Alloy discovers the node's pods through the Kubernetes API"),
            # Logs from every node, including tainted system nodes.
            "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
            "volumes": {
                "extra": [
                    {"name": "alloy-data", "hostPath": {"path": ALLOY_DATA_DIR, "type": "DirectoryOrCreate"}}
                ]
            },
        },
        "alloy": {
            "configMap": {"create": True, "content": alloy_config(args)},
            "storagePath": ALLOY_DATA_DIR,
            "enableReporting": False,
            "clustering": {"enabled": False},
            "resources": resources("100m", "256Mi", "500m", "512Mi"),
            "mounts": {
                "varlog": True,
                "dockercontainers": False,
                "extra": [{"name": "alloy-data", "mountPath": ALLOY_DATA_DIR}],
            },
            "securityContext": {
                "runAsUser": 0,
                "runAsNonRoot": False,
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": dict(RUNTIME_DEFAULT),
            },
        },
        "configReloader": {
            "securityContext": {**restricted_container(), "runAsUser": 65534},
            "resources": resources("1m", "8Mi", "50m", "32Mi"),
        },
        "serviceMonitor": {"enabled": True, "additionalLabels": dict(MONITOR_SELECTOR_LABELS)},
    }


def loki_values(args: ObservabilityArgs) -> dict[str, Any]:
    """Loki in single binary mode on a persistent volume, with retention from args.

    Multi-tenancy is off (one platform tenant); only the collector and Grafana may reach Loki
    (NetworkPolicy), which is the access control here.
    """
    persistence: dict[str, Any] = {"enabled": True, "size": args.loki_volume_size}
    if args.storage_class:
        persistence["storageClass"] = args.storage_class
    return {
        "fullnameOverride": LOKI_RELEASE,
        "deploymentMode": "SingleBinary",
        # Loki never calls the Kubernetes API (the rules sidecar, which would, is off).
        "serviceAccount": {"automountServiceAccountToken": False},
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": "filesystem",
                        "schema": "v13",
                        "index": {"prefix": "index_", "period": "24h"},
                    }
                ]
            },
            "limits_config": {
                "retention_period": args.log_retention,
                "allow_structured_metadata": True,
                "volume_enabled": True,
            },
            "compactor": {
                "retention_enabled": True,
                "delete_request_store": "filesystem",
                "working_directory": "/var/loki/compactor",
            },
            "analytics": {"reporting_enabled": False},
            "podSecurityContext": restricted_pod(10001, fs_group=10001),
            "containerSecurityContext": restricted_container(),
        },
        "singleBinary": {
            "replicas": 1,
            "persistence": persistence,
            "resources": resources("250m", "512Mi", "1", "2Gi"),
        },
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "backend": {"replicas": 0},
        "gateway": {"enabled": False},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
        "sidecar": {"rules": {"enabled": False}},
        "monitoring": {"serviceMonitor": {"enabled": True, "labels": dict(MONITOR_SELECTOR_LABELS)}},
    }
