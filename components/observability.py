"""The Observability component: metrics, logs, traces, dashboards and alerts as code (SP 800-204C §4.5).

Installs from official Helm charts at pinned versions (components.observability_charts), rendered
client-side (`kubernetes.helm.v4.Chart`) so policies see every object:

- kube-prometheus-stack: Prometheus, Alertmanager, Grafana, node-exporter, kube-state-metrics;
- Loki (single binary) and the Grafana Alloy node collector (logs of every container);
- the OpenTelemetry Collector (OTLP from the sidecars) and Tempo (trace store);
- Kiali, read-only and authenticated.

Plus the ServiceMonitor/PodMonitors for istiod, the sidecars and the gateways, the PrometheusRules
and Grafana dashboards kept in `observability/`, the Secrets for Grafana's admin and
Alertmanager's receivers (values from Pulumi secrets), and NetworkPolicies.

Pod Security: everything runs in `args.namespace` at the `restricted` level, except the
node-exporter and the Alloy DaemonSet (host network, host PID, host paths), which run in
`args.node_namespace` at `privileged`: the documented exemption.

The mesh's tracing hook: `tracing_provider(args)` (or the component's `tracing_provider`
attribute) gives the collector's Service FQDN, OTLP port and sampling rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components.observability_args import (
    ALERTMANAGER_RECEIVERS_SECRET,
    ALLOY_RELEASE,
    DASHBOARD_LABEL,
    DASHBOARD_LABEL_VALUE,
    GRAFANA_ADMIN_PASSWORD_KEY,
    GRAFANA_ADMIN_SECRET,
    GRAFANA_ADMIN_USER_KEY,
    KIALI_RELEASE,
    KPS_RELEASE,
    LOKI_RELEASE,
    MONITOR_SELECTOR_LABELS,
    OTEL_RELEASE,
    TEMPO_RELEASE,
    ObservabilityArgs,
    TracingProvider,
    tracing_provider,
)
from components.observability_assets import ASSETS_DIR, load_dashboards, load_rules
from components.observability_charts import resolve_chart
from components.observability_config import validate_args
from components.observability_kiali import kiali_values
from components.observability_logs import alloy_values, loki_values
from components.observability_metrics import kps_values
from components.observability_monitors import gateway_pod_monitor, istiod_service_monitor, sidecar_pod_monitor
from components.observability_network import monitoring_policies, node_policies
from components.observability_security import pod_security_labels
from components.observability_traces import otel_collector_values, tempo_values

MONITORING_API = "monitoring.coreos.com/v1"
PART_OF = {"app.kubernetes.io/part-of": "observability", "app.kubernetes.io/managed-by": "pulumi"}


class Observability(pulumi.ComponentResource):
    """Metrics, logs, traces, dashboards and alerts for the mesh and the platform."""

    namespace: pulumi.Output[str]
    """The monitoring namespace (Pod Security restricted)."""
    node_namespace: pulumi.Output[str]
    """The node agents' namespace (Pod Security privileged: documented exemption)."""
    tracing_service: pulumi.Output[str]
    """The collector's in-cluster OTLP gRPC address, `host:port`."""
    tracing_provider: TracingProvider
    """The same address as plain values, for the mesh's tracing provider."""
    prometheus_url: pulumi.Output[str]
    alertmanager_url: pulumi.Output[str]
    loki_url: pulumi.Output[str]
    tempo_url: pulumi.Output[str]
    grafana_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ObservabilityArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        validate_args(args)  # before registering anything: a bad config creates no resource
        super().__init__("devsecops:observability:Observability", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)

        ns = self._namespace(f"{name}-ns", args.namespace, pod_security_labels("restricted"), child)
        # Enforce privileged (host paths, host network); warn and audit at baseline so every
        # such pod is still visible in the audit log.
        node_ns = self._namespace(
            f"{name}-node-ns", args.node_namespace, pod_security_labels("privileged", "baseline"), child
        )
        on_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        on_both = pulumi.ResourceOptions(parent=self, depends_on=[ns, node_ns])

        grafana_secret, secrets = self._grafana_admin(on_ns)
        secrets += self._receivers_secret(on_ns)

        kps = self._chart("kube-prometheus-stack", KPS_RELEASE, args.namespace,
                          kps_values(args, grafana_secret),
                          pulumi.ResourceOptions(parent=self, depends_on=[ns, node_ns, *secrets]))
        after_kps = pulumi.ResourceOptions(parent=self, depends_on=[ns, kps])
        loki = self._chart("loki", LOKI_RELEASE, args.namespace, loki_values(args), after_kps)
        alloy = self._chart("alloy", ALLOY_RELEASE, args.node_namespace, alloy_values(args),
                            pulumi.ResourceOptions(parent=self, depends_on=[node_ns, kps, loki]))
        tempo = self._chart("tempo", TEMPO_RELEASE, args.namespace, tempo_values(args), after_kps)
        otel = self._chart("opentelemetry-collector", OTEL_RELEASE, args.namespace,
                           otel_collector_values(args),
                           pulumi.ResourceOptions(parent=self, depends_on=[ns, kps, tempo]))
        charts = [kps, loki, alloy, tempo, otel]
        if args.kiali.enabled:
            charts.append(self._chart("kiali-server", KIALI_RELEASE, args.namespace, kiali_values(args), after_kps))

        self._monitors(after_kps)
        self._rules(after_kps)
        self._dashboards(on_ns)
        self._network_policies(args.namespace, monitoring_policies(args), on_ns)
        self._network_policies(args.node_namespace, node_policies(args), on_both)

        self.tracing_provider = tracing_provider(args)
        self.namespace = ns.metadata.apply(lambda m: m.name or args.namespace)
        self.node_namespace = node_ns.metadata.apply(lambda m: m.name or args.node_namespace)
        self.tracing_service = self._after(otel, self.tracing_provider.address)
        self.prometheus_url = self._after(kps, args.prometheus_url)
        self.alertmanager_url = self._after(kps, args.alertmanager_url)
        self.grafana_url = self._after(kps, args.grafana_url)
        self.loki_url = self._after(loki, args.loki_url)
        self.tempo_url = self._after(tempo, args.tempo_url)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "node_namespace": self.node_namespace,
                "tracing_service": self.tracing_service,
                "prometheus_url": self.prometheus_url,
                "alertmanager_url": self.alertmanager_url,
                "grafana_url": self.grafana_url,
                "loki_url": self.loki_url,
                "tempo_url": self.tempo_url,
                "charts": [c.urn for c in charts],
            }
        )

    @staticmethod
    def _after(resource: pulumi.Resource, value: str) -> pulumi.Output[str]:
        """`value`, resolved once `resource` is registered (consumers then wait for it)."""
        return resource.urn.apply(lambda _: value)

    def _meta(self, name: str, namespace: str | None = None,
              labels: Mapping[str, str] | None = None) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels={**PART_OF, **(labels or {})})

    def _namespace(self, resource_name: str, name: str, labels: Mapping[str, str],
                   opts: pulumi.ResourceOptions) -> k8s.core.v1.Namespace:
        # Not in the mesh: Prometheus scrapes sidecars from outside it (NetworkPolicies guard it).
        return k8s.core.v1.Namespace(
            resource_name,
            metadata=self._meta(name, labels={**labels, "istio-injection": "disabled"}),
            opts=opts,
        )

    def _grafana_admin(self, opts: pulumi.ResourceOptions) -> tuple[str, list[pulumi.Resource]]:
        """The admin Secret Grafana reads: referenced as given, or created from a Pulumi secret."""
        args = self._args
        if args.grafana_admin_existing_secret:
            return args.grafana_admin_existing_secret, []
        assert args.grafana_admin_password is not None  # validate_args guarantees one of the two
        secret = k8s.core.v1.Secret(
            f"{self._name}-grafana-admin",
            metadata=self._meta(GRAFANA_ADMIN_SECRET, args.namespace),
            type="Opaque",
            string_data={
                GRAFANA_ADMIN_USER_KEY: args.grafana_admin_user,
                GRAFANA_ADMIN_PASSWORD_KEY: pulumi.Output.secret(args.grafana_admin_password),
            },
            opts=opts,
        )
        return GRAFANA_ADMIN_SECRET, [secret]

    def _receivers_secret(self, opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """One Secret holding every receiver's URL or key; Alertmanager mounts it read-only."""
        receivers = self._args.alerting.receivers
        if not receivers:
            return []
        secret = k8s.core.v1.Secret(
            f"{self._name}-alertmanager-receivers",
            metadata=self._meta(ALERTMANAGER_RECEIVERS_SECRET, self._args.namespace),
            type="Opaque",
            string_data={r.name: pulumi.Output.secret(r.secret) for r in receivers},
            opts=opts,
        )
        return [secret]

    def _chart(self, role: str, release: str, namespace: str, values: Mapping[str, Any],
               opts: pulumi.ResourceOptions) -> k8s.helm.v4.Chart:
        resolved = resolve_chart(role, self._args.chart_sources.get(role))
        return k8s.helm.v4.Chart(
            f"{self._name}-{role}",
            k8s.helm.v4.ChartArgs(
                chart=resolved.chart,
                version=resolved.version,
                repository_opts=(
                    k8s.helm.v4.RepositoryOptsArgs(repo=resolved.repository) if resolved.repository else None
                ),
                name=release,
                namespace=namespace,
                values=dict(values),
            ),
            opts=opts,
        )

    def _custom(self, kind: str, name: str, spec: Mapping[str, Any], opts: pulumi.ResourceOptions,
                labels: Mapping[str, str] = MONITOR_SELECTOR_LABELS) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{self._name}-{name}",
            api_version=MONITORING_API,
            kind=kind,
            metadata=self._meta(name, self._args.namespace, labels),
            spec=dict(spec),
            opts=opts,
        )

    def _monitors(self, opts: pulumi.ResourceOptions) -> None:
        args = self._args
        self._custom("ServiceMonitor", "istiod", istiod_service_monitor(args), opts)
        self._custom("PodMonitor", "istio-sidecars", sidecar_pod_monitor(args), opts)
        self._custom("PodMonitor", "istio-gateways", gateway_pod_monitor(args), opts)

    def _rules(self, opts: pulumi.ResourceOptions) -> None:
        for rule_file in load_rules(ASSETS_DIR, self._args.runbook_base_url):
            self._custom("PrometheusRule", f"rules-{rule_file.name}", rule_file.spec, opts)

    def _dashboards(self, opts: pulumi.ResourceOptions) -> None:
        for dashboard in load_dashboards(ASSETS_DIR):
            k8s.core.v1.ConfigMap(
                f"{self._name}-dashboard-{dashboard.name}",
                metadata=self._meta(
                    f"dashboard-{dashboard.name}", self._args.namespace, {DASHBOARD_LABEL: DASHBOARD_LABEL_VALUE}
                ),
                data={dashboard.filename: dashboard.json_text},
                opts=opts,
            )

    def _network_policies(self, namespace: str, policies: Mapping[str, Mapping[str, Any]],
                          opts: pulumi.ResourceOptions) -> Sequence[k8s.networking.v1.NetworkPolicy]:
        created = []
        for policy_name, spec in policies.items():
            created.append(
                k8s.networking.v1.NetworkPolicy(
                    f"{self._name}-{namespace}-{policy_name}",
                    metadata=self._meta(policy_name, namespace),
                    # The specs are plain dicts (shared with tests); the provider validates them.
                    spec=cast(k8s.networking.v1.NetworkPolicySpecArgsDict, dict(spec)),
                    opts=opts,
                )
            )
        return created

