"""Helm values of kube-prometheus-stack: Prometheus, Alertmanager, Grafana and the exporters.

Pure functions of ObservabilityArgs (no resources), so tests and docs read the exact values.
No secret ever appears here: Grafana reads its admin credentials from a Secret, and Alertmanager
reads every receiver URL or key from files of a mounted Secret (`*_file` settings).
"""

from __future__ import annotations

from typing import Any

from components.automount import automount_reason
from components.observability_args import (
    ALERTMANAGER_DATASOURCE_UID,
    ALERTMANAGER_RECEIVERS_SECRET,
    DASHBOARD_LABEL,
    DASHBOARD_LABEL_VALUE,
    GRAFANA_ADMIN_PASSWORD_KEY,
    GRAFANA_ADMIN_USER_KEY,
    GRAFANA_FULLNAME,
    KPS_FULLNAME,
    LOKI_DATASOURCE_UID,
    PROMETHEUS_DATASOURCE_UID,
    TEMPO_DATASOURCE_UID,
    AlertingArgs,
    AlertReceiver,
    ObservabilityArgs,
)
from components.observability_security import resources, restricted_container, restricted_pod

RECEIVER_SECRET_DIR = f"/etc/alertmanager/secrets/{ALERTMANAGER_RECEIVERS_SECRET}"

# Istio access logs carry the W3C traceparent; Grafana links a log line to its trace in Tempo.
TRACEPARENT_REGEX = r'"traceparent":"[0-9a-f]{2}-([0-9a-f]{32})-'


def volume_claim(size: str, storage_class: str) -> dict[str, Any]:
    """A volumeClaimTemplate for the operator-managed StatefulSets."""
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"volumeClaimTemplate": {"spec": spec}}


def receiver_secret_path(receiver: AlertReceiver) -> str:
    """Where Alertmanager reads one receiver's URL or key (a key of the mounted Secret)."""
    return f"{RECEIVER_SECRET_DIR}/{receiver.name}"


def _receiver(receiver: AlertReceiver) -> dict[str, Any]:
    path = receiver_secret_path(receiver)
    if receiver.kind == "webhook":
        return {"name": receiver.name, "webhook_configs": [{"url_file": path, "send_resolved": True}]}
    if receiver.kind == "slack":
        slack: dict[str, Any] = {"api_url_file": path, "send_resolved": True}
        if receiver.channel:
            slack["channel"] = receiver.channel
        return {"name": receiver.name, "slack_configs": [slack]}
    return {"name": receiver.name, "pagerduty_configs": [{"routing_key_file": path, "send_resolved": True}]}


def alertmanager_config(alerting: AlertingArgs) -> dict[str, Any]:
    """Alertmanager's routing tree and receivers; receivers point at Secret files, never at values."""
    routes: list[dict[str, Any]] = [
        # The always-firing heartbeat proves the pipeline works; it is not a page.
        {"receiver": "null", "matchers": ['alertname = "Watchdog"']},
    ]
    routes += [
        {"receiver": r.receiver, "matchers": list(r.matchers), "continue": r.continue_matching}
        for r in alerting.routes
    ]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": alerting.default_receiver,
            "group_by": list(alerting.group_by),
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": alerting.repeat_interval,
            "routes": routes,
        },
        "receivers": [{"name": "null"}, *(_receiver(r) for r in alerting.receivers)],
        "inhibit_rules": [
            {
                "source_matchers": ['severity = "critical"'],
                "target_matchers": ['severity =~ "warning|info"'],
                "equal": ["namespace", "alertname"],
            }
        ],
    }


def grafana_datasources(args: ObservabilityArgs) -> list[dict[str, Any]]:
    """Loki and Tempo with fixed uids, cross-linked (logs -> traces, traces -> logs and metrics).

    Prometheus and Alertmanager are provisioned by the chart's own datasource ConfigMap with the
    uids set in `grafana_values`.
    """
    return [
        {
            "name": "Loki",
            "type": "loki",
            "uid": LOKI_DATASOURCE_UID,
            "access": "proxy",
            "url": args.loki_url,
            "jsonData": {
                "derivedFields": [
                    {
                        "name": "TraceID",
                        "datasourceUid": TEMPO_DATASOURCE_UID,
                        "matcherRegex": TRACEPARENT_REGEX,
                        # `$$` escapes Grafana's provisioning env expansion.
                        "url": "$${__value.raw}",
                    }
                ]
            },
        },
        {
            "name": "Tempo",
            "type": "tempo",
            "uid": TEMPO_DATASOURCE_UID,
            "access": "proxy",
            "url": args.tempo_url,
            "jsonData": {
                "tracesToLogsV2": {"datasourceUid": LOKI_DATASOURCE_UID, "filterByTraceID": True},
                "serviceMap": {"datasourceUid": PROMETHEUS_DATASOURCE_UID},
                "nodeGraph": {"enabled": True},
                "lokiSearch": {"datasourceUid": LOKI_DATASOURCE_UID},
            },
        },
    ]


GRAFANA_SCRATCH_MOUNTS = [
    {"name": "grafana-tmp", "mountPath": "/tmp"},  # noqa: S108 - the pod's own emptyDir
    {"name": "grafana-logs", "mountPath": "/var/log/grafana"},
]


def grafana_values(args: ObservabilityArgs, admin_secret: str) -> dict[str, Any]:
    """Grafana: admin credentials from a Secret, dashboards and datasources as code, hardened."""
    persistence: dict[str, Any] = {"enabled": True, "size": args.grafana_volume_size}
    if args.storage_class:
        persistence["storageClassName"] = args.storage_class
    return {
        "fullnameOverride": GRAFANA_FULLNAME,
        "admin": {
            "existingSecret": admin_secret,
            "userKey": GRAFANA_ADMIN_USER_KEY,
            "passwordKey": GRAFANA_ADMIN_PASSWORD_KEY,
        },
        "persistence": persistence,
        # The chown init container runs as root with CAP_CHOWN; fsGroup does the same job.
        "initChownData": {"enabled": False},
        "testFramework": {"enabled": False},
        "securityContext": restricted_pod(472, fs_group=472),
        "containerSecurityContext": restricted_container(),
        # With a read-only root, Grafana writes only to its data volume (/var/lib/grafana, plugins
        # included) and to these scratch volumes: temporary files and its log directory.
        "extraEmptyDirMounts": GRAFANA_SCRATCH_MOUNTS,
        "podAnnotations": automount_reason("the dashboard and datasource sidecars watch ConfigMaps and Secrets"),
        "resources": resources("100m", "256Mi", "500m", "512Mi"),
        "defaultDashboardsEnabled": True,
        "sidecar": {
            "securityContext": restricted_container(),
            "resources": resources("50m", "64Mi", "200m", "128Mi"),
            "dashboards": {
                "enabled": True,
                "label": DASHBOARD_LABEL,
                "labelValue": DASHBOARD_LABEL_VALUE,
                "searchNamespace": args.namespace,
                # Dashboards are code: edits in the UI would be lost and are refused.
                "provider": {"allowUiUpdates": False},
            },
            "datasources": {
                "enabled": True,
                "defaultDatasourceEnabled": True,
                "uid": PROMETHEUS_DATASOURCE_UID,
                "url": args.prometheus_url,
                "alertmanager": {"enabled": True, "uid": ALERTMANAGER_DATASOURCE_UID},
            },
        },
        "additionalDataSources": grafana_datasources(args),
        "grafana.ini": {
            "analytics": {"reporting_enabled": False, "check_for_updates": False, "check_for_plugin_updates": False},
            "auth.anonymous": {"enabled": False},
            "users": {"allow_sign_up": False, "allow_org_create": False},
            "security": {
                "cookie_secure": True,
                "cookie_samesite": "strict",
                "disable_gravatar": True,
                "strict_transport_security": True,
                "content_security_policy": True,
            },
            "snapshots": {"external_enabled": False},
        },
    }


def kps_values(args: ObservabilityArgs, grafana_admin_secret: str) -> dict[str, Any]:
    """kube-prometheus-stack: retention and volumes from args, restricted pods, EKS-aware scraping."""
    alerting = args.alerting
    return {
        "fullnameOverride": KPS_FULLNAME,
        "crds": {"enabled": True},
        "defaultRules": {
            "create": True,
            # EKS manages etcd, the scheduler and the controller manager: nothing to scrape there.
            "rules": {
                "etcd": False,
                "kubeControllerManager": False,
                "kubeSchedulerAlerting": False,
                "kubeSchedulerRecording": False,
                "kubeProxy": False,
            },
        },
        "kubeEtcd": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeControllerManager": {"enabled": False},
        # kube-proxy binds its metrics to 127.0.0.1 on EKS nodes.
        "kubeProxy": {"enabled": False},
        "kubelet": {"enabled": True},
        "kubeStateMetrics": {"enabled": True},
        "kube-state-metrics": {
            # The chart mounts the token (`automountServiceAccountToken: true`): it is the API reader.
            "podAnnotations": automount_reason("kube-state-metrics lists and watches every object it reports on"),
            "securityContext": restricted_pod(65534, fs_group=65534),
            "containerSecurityContext": restricted_container(),
            "resources": resources("50m", "128Mi", "200m", "256Mi"),
        },
        "nodeExporter": {"enabled": True},
        # node-exporter needs hostNetwork, hostPID and host paths: it lives in the node namespace.
        "prometheus-node-exporter": {
            "namespaceOverride": args.node_namespace,
            "resources": resources("50m", "64Mi", "200m", "128Mi"),
        },
        "prometheusOperator": {
            # The webhook's certificates come from Helm hook Jobs, which a client-side rendered
            # chart does not run in order; rule syntax is checked before deploy instead
            # (components.observability_checks).
            "admissionWebhooks": {"enabled": False},
            "podAnnotations": automount_reason(
                "the operator watches its CRDs and writes Prometheus and Alertmanager StatefulSets"
            ),
            "tls": {"enabled": False},
            "securityContext": restricted_pod(65534, fs_group=65534),
            "containerSecurityContext": restricted_container(),
            "resources": resources("100m", "128Mi", "500m", "256Mi"),
        },
        "prometheus": {
            "prometheusSpec": {
                "retention": args.metrics_retention,
                "retentionSize": args.metrics_retention_size,
                "storageSpec": volume_claim(args.prometheus_volume_size, args.storage_class),
                "securityContext": restricted_pod(1000, 2000, fs_group=2000),
                "resources": resources("500m", "2Gi", "2", "4Gi"),
                "enableAdminAPI": False,
                # Select monitors and rules by the chart's `release` label (MONITOR_SELECTOR_LABELS).
                "serviceMonitorSelectorNilUsesHelmValues": True,
                "podMonitorSelectorNilUsesHelmValues": True,
                "ruleSelectorNilUsesHelmValues": True,
            }
        },
        "alertmanager": {
            "config": alertmanager_config(alerting),
            "alertmanagerSpec": {
                "secrets": [ALERTMANAGER_RECEIVERS_SECRET] if alerting.receivers else [],
                "storage": volume_claim(args.alertmanager_volume_size, args.storage_class),
                "securityContext": restricted_pod(1000, 2000, fs_group=2000),
                "resources": resources("50m", "128Mi", "200m", "256Mi"),
            },
        },
        "grafana": grafana_values(args, grafana_admin_secret),
    }
