"""observability-signals-present: where the mesh is, metrics, logs and traces are too.

SP 800-204C §4.5 asks for an agent in every service collecting logs, traces and metrics, sent
to tools that correlate them. The rules, all decided on the stack's own resources:

- charts are recognised by their resource (`chart` input, which preflight passes) or by the
  `helm.sh/chart` label of the objects they render (what `pulumi preview` shows packs).
- mesh present: a Helm chart resource (`kubernetes:helm.sh/v4:Chart` or `v3:Release`) whose
  chart is one of `meshCharts` (istiod), or any Istio custom resource
  (`kubernetes:{networking,security,telemetry,extensions}.istio.io/*`). No mesh, nothing to check.
- metrics: a Prometheus-operator stack (a chart in `metricsCharts`, or a `Prometheus` custom
  resource) AND at least one ServiceMonitor/PodMonitor that scrapes the mesh: an endpoint on
  port `http-envoy-prom` (Envoy, 15090), `http-monitoring` (istiod, 15014) or path
  `/stats/prometheus`. A Prometheus that does not scrape the mesh sees nothing of it.
- logs: a log store chart (`logStoreCharts`) AND a node log collector chart (`logCollectorCharts`).
- traces: a trace pipeline chart (`traceCharts`) AND a tracing provider in the mesh: an entry of
  the istiod chart's `meshConfig.extensionProviders` of a tracing kind (opentelemetry, zipkin,
  ...), turned on by a Telemetry resource's `spec.tracing[].providers[].name` or by
  `meshConfig.defaultProviders.tracing`, with a sampling rate above 0 where one is given.

One violation per missing signal, on the resource that made the mesh present.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from .meta import Config, ObsStackPolicy
from .util import as_list, chart_of, config_strings, get

ISTIO_GROUPS = ("networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io")
MONITOR_TYPES = (
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    "kubernetes:monitoring.coreos.com/v1:PodMonitor",
)
PROMETHEUS_CR = "kubernetes:monitoring.coreos.com/v1:Prometheus"
TELEMETRY_PREFIX = "kubernetes:telemetry.istio.io/"
MESH_PORTS = ("http-envoy-prom", "http-monitoring")
MESH_PATH = "/stats/prometheus"
TRACING_PROVIDER_KINDS = ("opentelemetry", "zipkin", "datadog", "skywalking", "stackdriver", "lightstep")

CONFIG = {
    "meshCharts": {"type": "array", "items": {"type": "string"}, "default": ["istiod"],
                   "description": "Charts that install the mesh control plane."},
    "metricsCharts": {"type": "array", "items": {"type": "string"}, "default": ["kube-prometheus-stack"],
                      "description": "Charts that install a Prometheus-operator monitoring stack."},
    "logStoreCharts": {"type": "array", "items": {"type": "string"},
                       "default": ["loki", "loki-distributed", "opensearch", "elasticsearch"],
                       "description": "Charts that install a log store."},
    "logCollectorCharts": {"type": "array", "items": {"type": "string"},
                           "default": ["alloy", "promtail", "fluent-bit", "fluentd", "vector"],
                           "description": "Charts that install a node log collector."},
    "traceCharts": {"type": "array", "items": {"type": "string"},
                    "default": ["opentelemetry-collector", "tempo", "tempo-distributed", "jaeger"],
                    "description": "Charts that install a trace collector or store."},
}


@dataclass
class _Inventory:
    mesh: list[tuple[str, str]] = field(default_factory=list)  # (urn, what)
    charts: dict[str, list[str]] = field(default_factory=dict)  # chart name -> urns
    prometheus_crs: list[str] = field(default_factory=list)
    mesh_monitors: list[str] = field(default_factory=list)
    istiod_values: list[Mapping[str, Any]] = field(default_factory=list)
    telemetries: list[Mapping[str, Any]] = field(default_factory=list)

    def has_chart(self, names: frozenset[str]) -> bool:
        return any(name in self.charts for name in names)


def _scrapes_mesh(props: Mapping[str, Any]) -> bool:
    spec = get(props, "spec")
    endpoints = [*as_list(get(spec, "endpoints")), *as_list(get(spec, "podMetricsEndpoints"))]
    return any(
        get(e, "port") in MESH_PORTS or get(e, "path") == MESH_PATH for e in endpoints if isinstance(e, Mapping)
    )


def _rendered_chart(props: Mapping[str, Any]) -> str | None:
    """The chart an object was rendered from, by Helm's standard `helm.sh/chart: <name>-<version>` label.

    Under `pulumi preview` the engine shows packs a v4 Chart without its inputs but shows every
    object it renders; those carry this label.
    """
    labels = get(props, "metadata", "labels")
    label = labels.get("helm.sh/chart") if isinstance(labels, Mapping) else None
    if not isinstance(label, str) or "-" not in label:
        return None
    name, _, version = label.rpartition("-")
    return name if version[:1].isdigit() or version.startswith("v") else label


def _rendered_mesh_config(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """meshConfig as istiod renders it: the `mesh` key of its `istio` / `istio-<revision>` ConfigMap."""
    if resource_type != "kubernetes:core/v1:ConfigMap":
        return None
    name = get(props, "metadata", "name")
    text = get(props, "data", "mesh")
    if not (isinstance(name, str) and (name == "istio" or name.startswith("istio-")) and isinstance(text, str)):
        return None
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return parsed if isinstance(parsed, Mapping) else None


def _inventory(resources: Sequence[PolicyResource], cfg: Config) -> _Inventory:
    inv = _Inventory()
    mesh_charts = config_strings(cfg, "meshCharts")
    for r in resources:
        mesh_config = _rendered_mesh_config(r.resource_type, r.props)
        if mesh_config is not None:
            inv.istiod_values.append({"meshConfig": mesh_config})
        rendered = _rendered_chart(r.props)
        if rendered is not None:
            inv.charts.setdefault(rendered, []).append(r.urn)
            if rendered in mesh_charts:
                inv.mesh.append((r.urn, f"chart {rendered}"))
        chart = chart_of(r.resource_type, r.props)
        if chart is not None:
            inv.charts.setdefault(chart, []).append(r.urn)
            if chart in mesh_charts:
                inv.mesh.append((r.urn, f"chart {chart}"))
                inv.istiod_values.append(r.props.get("values") or {})
            continue
        group = r.resource_type.removeprefix("kubernetes:").split("/", 1)[0]
        if group in ISTIO_GROUPS:
            inv.mesh.append((r.urn, r.resource_type.rsplit(":", 1)[-1]))
        if r.resource_type.startswith(TELEMETRY_PREFIX):
            inv.telemetries.append(r.props)
        elif r.resource_type == PROMETHEUS_CR:
            inv.prometheus_crs.append(r.urn)
        elif r.resource_type in MONITOR_TYPES and _scrapes_mesh(r.props):
            inv.mesh_monitors.append(r.urn)
    return inv


def _tracing_providers(inv: _Inventory) -> tuple[set[str], set[str]]:
    """(names of tracing extension providers, names turned on by default providers)."""
    declared: set[str] = set()
    defaults: set[str] = set()
    for values in inv.istiod_values:
        mesh_config = get(values, "meshConfig")
        for provider in as_list(get(mesh_config, "extensionProviders")):
            if isinstance(provider, Mapping) and any(kind in provider for kind in TRACING_PROVIDER_KINDS):
                name = provider.get("name")
                if isinstance(name, str):
                    declared.add(name)
        defaults.update(n for n in as_list(get(mesh_config, "defaultProviders", "tracing")) if isinstance(n, str))
    return declared, defaults


def _tracing_enabled(inv: _Inventory) -> str | None:
    """None when the mesh sends spans to a declared provider, else what is missing."""
    declared, defaults = _tracing_providers(inv)
    if not declared:
        return "the istiod chart declares no tracing provider (meshConfig.extensionProviders[].opentelemetry)"
    if declared & defaults:
        return None
    sampled_zero = False
    for telemetry in inv.telemetries:
        for tracing in as_list(get(telemetry, "spec", "tracing")):
            names = {get(p, "name") for p in as_list(get(tracing, "providers"))}
            if not names & declared:
                continue
            rate = get(tracing, "randomSamplingPercentage")
            if isinstance(rate, int | float) and not isinstance(rate, bool) and rate <= 0:
                sampled_zero = True
                continue
            if get(tracing, "disableSpanReporting") is True:
                continue
            return None
    if sampled_zero:
        return "the Telemetry resource samples 0% of requests (spec.tracing[].randomSamplingPercentage)"
    return (
        f"no Telemetry resource (spec.tracing[].providers[].name) or meshConfig.defaultProviders.tracing "
        f"turns on the tracing provider {', '.join(sorted(declared))}"
    )


def _missing(inv: _Inventory, cfg: Config) -> Iterator[str]:
    metrics_charts = config_strings(cfg, "metricsCharts")
    if not (inv.has_chart(metrics_charts) or inv.prometheus_crs):
        charts = ", ".join(sorted(metrics_charts))
        yield f"metrics are missing: no monitoring stack (a chart among {charts} or a Prometheus resource)"
    elif not inv.mesh_monitors:
        yield (
            "metrics are missing: no ServiceMonitor/PodMonitor scrapes the mesh "
            "(port http-envoy-prom or http-monitoring, or path /stats/prometheus)"
        )
    stores = config_strings(cfg, "logStoreCharts")
    collectors = config_strings(cfg, "logCollectorCharts")
    if not inv.has_chart(stores):
        yield f"logs are missing: no log store (a chart among {', '.join(sorted(stores))})"
    if not inv.has_chart(collectors):
        yield f"logs are missing: no node log collector (a chart among {', '.join(sorted(collectors))})"
    traces = config_strings(cfg, "traceCharts")
    if not inv.has_chart(traces):
        yield f"traces are missing: no trace collector or store (a chart among {', '.join(sorted(traces))})"
    else:
        problem = _tracing_enabled(inv)
        if problem is not None:
            yield f"traces are missing: {problem}"


def check(args: StackValidationArgs, cfg: Config) -> Iterator[tuple[str, str]]:
    inv = _inventory(args.resources, cfg)
    if not inv.mesh:
        return
    urn, what = inv.mesh[0]
    for missing in _missing(inv, cfg):
        yield urn, f"The mesh is present ({what}), but {missing}."


POLICIES = [
    ObsStackPolicy(
        name="observability-signals-present",
        description=(
            "Where the service mesh is deployed, metrics (Prometheus scraping istiod and the sidecars), "
            "logs (a log store and a node collector) and traces (a collector or store, and a mesh tracing "
            "provider turned on) are deployed too (SP 800-204C §4.5)."
        ),
        check=check,
        severity=Severity.HIGH,
        nist=("SI-4", "AU-12", "AU-6"),
        sp800204=("C-4.5-1", "C-4.1-1", "C-2.2-6", "B-g2"),
        remediation=(
            "Deploy the Observability component with the mesh (components.observability.Observability) and pass "
            "its tracing provider to the mesh (ServiceMeshArgs.tracing = TracingArgs(**asdict("
            "observability.tracing_provider))); or install a Prometheus-operator stack with a PodMonitor for "
            "port http-envoy-prom, a log store with a node collector, a trace collector, and an istiod "
            "meshConfig.extensionProviders entry enabled by a Telemetry resource."
        ),
        config=CONFIG,
        topics=("metrics", "logs", "traces", "istio"),
    )
]
