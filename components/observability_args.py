"""Typed arguments of the Observability component, and the names other components rely on.

Every default is the secure choice. The fixed names (namespaces, release names, Service names,
ports and datasource uids) live here, beside the defaults, because the mesh, the dashboards, the
rules and the tests all have to agree on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi

ReceiverKind = Literal["webhook", "slack", "pagerduty"]
KialiAuthStrategy = Literal["token", "openid"]

# Helm release names. Release names become Kubernetes object names and selector labels, so they
# are fixed: the ServiceMonitors, the tracing address and the URLs below are derived from them.
KPS_RELEASE = "kube-prometheus-stack"
KPS_FULLNAME = "kps"  # fullnameOverride: keeps object names short (kps-prometheus, kps-alertmanager)
LOKI_RELEASE = "loki"
ALLOY_RELEASE = "alloy"
TEMPO_RELEASE = "tempo"
OTEL_RELEASE = "otel-collector"
KIALI_RELEASE = "kiali"
GRAFANA_FULLNAME = "grafana"

# Prometheus picks up ServiceMonitors, PodMonitors and PrometheusRules carrying this label (the
# chart's own selector: `release: <kube-prometheus-stack release name>`).
MONITOR_SELECTOR_LABELS: Mapping[str, str] = {"release": KPS_RELEASE}

# Ports of the in-cluster Services.
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
LOKI_PORT = 3100
TEMPO_QUERY_PORT = 3200
TEMPO_OTLP_GRPC_PORT = 4317
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
GRAFANA_PORT = 80
KIALI_PORT = 20001

# Grafana datasource uids: dashboards reference these, the provisioning creates exactly these.
PROMETHEUS_DATASOURCE_UID = "prometheus"
LOKI_DATASOURCE_UID = "loki"
TEMPO_DATASOURCE_UID = "tempo"
ALERTMANAGER_DATASOURCE_UID = "alertmanager"
DATASOURCE_UIDS = frozenset(
    {PROMETHEUS_DATASOURCE_UID, LOKI_DATASOURCE_UID, TEMPO_DATASOURCE_UID, ALERTMANAGER_DATASOURCE_UID}
)

# The label Grafana's dashboard sidecar watches, and its value.
DASHBOARD_LABEL = "grafana_dashboard"
DASHBOARD_LABEL_VALUE = "1"

# Secrets the component creates (names only; the values are Pulumi secrets).
GRAFANA_ADMIN_SECRET = "grafana-admin"  # noqa: S105 - a Secret name, not a secret
GRAFANA_ADMIN_USER_KEY = "admin-user"
GRAFANA_ADMIN_PASSWORD_KEY = "admin-password"  # noqa: S105 - a key name, not a secret
ALERTMANAGER_RECEIVERS_SECRET = "alertmanager-receivers"  # noqa: S105 - a Secret name, not a secret

# Pod labels of the Istio gateway chart: `istio: <release name without the istio- prefix>`.
DEFAULT_GATEWAY_LABELS = ("ingressgateway", "egressgateway")


@dataclass(frozen=True)
class ChartSource:
    """Where to fetch one chart instead of its official repository (air-gapped or mirrored)."""

    chart: str | None = None
    """Chart reference: a name in `repository`, an `oci://` URL or a local path (dir or .tgz)."""
    repository: str | None = None
    """Helm repository URL for a chart given by name; ignored for OCI URLs and local paths."""


@dataclass(frozen=True)
class AlertReceiver:
    """One Alertmanager receiver; its URL or key is a Pulumi secret, stored only in a Secret."""

    name: str
    """Receiver name that routes refer to."""
    kind: ReceiverKind
    """`webhook` and `slack` take a URL, `pagerduty` an Events API v2 routing key."""
    secret: pulumi.Input[str] = field(repr=False)
    """The webhook/Slack URL or PagerDuty routing key (a Pulumi secret; never put in chart values)."""
    channel: str = ""
    """Slack channel (slack receivers only; empty uses the webhook's default channel)."""


@dataclass(frozen=True)
class AlertRoute:
    """One Alertmanager child route: alerts matching every matcher go to `receiver`."""

    receiver: str
    """Name of a receiver in AlertingArgs.receivers (or `null`)."""
    matchers: tuple[str, ...] = ()
    """Alertmanager matchers, e.g. `severity="critical"` or `namespace=~"shop|payments"`."""
    continue_matching: bool = False
    """Keep evaluating later routes after this one matched."""


@dataclass(frozen=True)
class AlertingArgs:
    """Alertmanager routing: receivers, routes and grouping."""

    receivers: tuple[AlertReceiver, ...] = ()
    """Receivers; with none, alerts stay visible in Alertmanager and Grafana only."""
    routes: tuple[AlertRoute, ...] = ()
    """Child routes, evaluated in order."""
    default_receiver: str = "null"
    """Receiver of alerts no route matched (`null` drops them after display)."""
    group_by: tuple[str, ...] = ("alertname", "namespace", "severity")
    """Labels alerts are grouped by in one notification."""
    repeat_interval: str = "4h"
    """How often a still-firing alert is re-sent."""


@dataclass(frozen=True)
class KialiArgs:
    """The Kiali mesh topology console: read-only, behind authentication."""

    enabled: bool = True
    """Install Kiali."""
    auth_strategy: KialiAuthStrategy = "token"
    """`token` (Kubernetes service-account token login, RBAC enforced) or `openid`; never anonymous."""
    openid_issuer_uri: str = ""
    """OpenID Connect issuer (openid only); the client secret is read from the `kiali` Secret."""
    openid_client_id: str = ""
    """OpenID Connect client id (openid only)."""
    signing_key_secret: str = ""
    """Pre-created Secret (key `key`) holding the login-token signing key; empty lets the chart generate one."""


@dataclass(frozen=True)
class ObservabilityArgs:
    """Metrics, logs, traces, dashboards and alerts for the mesh and the platform."""

    namespace: str = "observability"
    """Namespace of every workload that meets Pod Security `restricted`."""
    node_namespace: str = "observability-node"
    """Namespace of the node agents (log collector, node-exporter): Pod Security `privileged`."""
    mesh_root_namespace: str = "istio-system"
    """Istio root namespace (istiod's namespace)."""
    cluster_domain: str = "cluster.local"
    """Kubernetes cluster DNS domain, used in in-cluster URLs."""
    storage_class: str = ""
    """StorageClass of every persistent volume (empty: the cluster default, e.g. encrypted gp3)."""
    metrics_retention: str = "15d"
    """How long Prometheus keeps samples."""
    metrics_retention_size: str = "45GB"
    """Prometheus deletes the oldest blocks above this size (keep below the volume size)."""
    prometheus_volume_size: str = "50Gi"
    """Prometheus persistent volume size."""
    alertmanager_volume_size: str = "2Gi"
    """Alertmanager persistent volume size (silences and notification log)."""
    grafana_volume_size: str = "5Gi"
    """Grafana persistent volume size."""
    log_retention: str = "168h"
    """How long Loki keeps logs (a Loki duration, e.g. 168h)."""
    loki_volume_size: str = "50Gi"
    """Loki persistent volume size."""
    trace_retention: str = "72h"
    """How long Tempo keeps traces."""
    tempo_volume_size: str = "20Gi"
    """Tempo persistent volume size."""
    tracing_sampling_percent: float = 1.0
    """Share of requests the sidecars trace, 0-100 (fed to the mesh's tracing provider)."""
    grafana_admin_user: str = "admin"
    """Grafana admin user name (used when the component creates the admin Secret)."""
    grafana_admin_password: pulumi.Input[str] | None = field(default=None, repr=False)
    """Grafana admin password as a Pulumi secret; the component stores it in a Secret."""
    grafana_admin_existing_secret: str = ""
    """Instead of a password: a pre-created Secret with `admin-user` and `admin-password` keys."""
    alerting: AlertingArgs = field(default_factory=AlertingArgs)
    """Alertmanager routing."""
    kiali: KialiArgs = field(default_factory=KialiArgs)
    """Mesh topology console."""
    gateway_labels: tuple[str, ...] = DEFAULT_GATEWAY_LABELS
    """Values of the `istio` pod label on the mesh's gateways (scraped by their own PodMonitor)."""
    ui_access_namespaces: tuple[str, ...] = ("istio-ingress",)
    """Namespaces allowed to reach Grafana and Kiali (e.g. the ingress gateway's)."""
    node_cidrs: tuple[str, ...] = ()
    """Where the nodes and the Kubernetes API server's endpoints are (on EKS: the VPC CIDR, which
    the platform passes). The monitoring namespace's egress reaches these addresses only on the
    kubelet, node-exporter and API server ports. Empty: the private ranges (RFC 1918 and RFC 6598),
    never link-local (the instance metadata service) or public addresses."""
    api_server_port: int = 443
    """Port of the API server's endpoints (the `kubernetes` Service's endpoints: 443 on EKS, 6443 on
    kubeadm and kind); NetworkPolicies match the endpoint, not the Service's ClusterIP."""
    runbook_base_url: str = ""
    """Prefix for the rules' relative runbook links, e.g. `https://github.com/org/repo/blob/main`."""
    chart_sources: Mapping[str, ChartSource] = field(default_factory=dict)
    """Per-chart source overrides, keyed by chart role (see observability_charts.CHARTS)."""

    @property
    def otel_collector_host(self) -> str:
        """The OpenTelemetry Collector Service's in-cluster DNS name."""
        return f"{OTEL_RELEASE}.{self.namespace}.svc.{self.cluster_domain}"

    def service_url(self, name: str, port: int, scheme: str = "http") -> str:
        """URL of a Service in the monitoring namespace."""
        return f"{scheme}://{name}.{self.namespace}.svc.{self.cluster_domain}:{port}"

    @property
    def prometheus_url(self) -> str:
        return self.service_url(f"{KPS_FULLNAME}-prometheus", PROMETHEUS_PORT)

    @property
    def alertmanager_url(self) -> str:
        return self.service_url(f"{KPS_FULLNAME}-alertmanager", ALERTMANAGER_PORT)

    @property
    def loki_url(self) -> str:
        return self.service_url(LOKI_RELEASE, LOKI_PORT)

    @property
    def tempo_url(self) -> str:
        return self.service_url(TEMPO_RELEASE, TEMPO_QUERY_PORT)

    @property
    def grafana_url(self) -> str:
        return self.service_url(GRAFANA_FULLNAME, GRAFANA_PORT)


@dataclass(frozen=True)
class TracingProvider:
    """What the mesh's tracing provider needs: field names match the mesh's TracingArgs.

    Pass it as `TracingArgs(**dataclasses.asdict(provider))`.
    """

    service: str
    """Collector Service FQDN, e.g. `otel-collector.observability.svc.cluster.local`."""
    port: int
    """Collector OTLP gRPC port."""
    sampling_percent: float
    """Share of requests traced, 0-100."""

    @property
    def address(self) -> str:
        """`host:port`, the form the component's `tracing_service` output takes."""
        return f"{self.service}:{self.port}"


def tracing_provider(args: ObservabilityArgs) -> TracingProvider:
    """The tracing hook for the mesh, computed from the args alone.

    The collector's name, namespace and port are fixed by the args, so the mesh can be built
    before (or without waiting for) the Observability component.
    """
    return TracingProvider(
        service=args.otel_collector_host,
        port=OTLP_GRPC_PORT,
        sampling_percent=args.tracing_sampling_percent,
    )
