"""observability-baseline: observability-signals-present, through the analyzer protocol."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze_stack, violations

add_pack_to_path("observability-baseline")
from observability_baseline import signals  # noqa: E402
from observability_baseline.util import chart_basename  # noqa: E402

POLICY = "observability-signals-present"
CHART = "kubernetes:helm.sh/v4:Chart"
RELEASE = "kubernetes:helm.sh/v3:Release"


def chart(name: str, values: dict[str, Any] | None = None, type_: str = CHART) -> Res:
    return Res(type_, {"chart": name, "version": "1.0.0", "values": values or {}}, name=name.rsplit("/", 1)[-1])


def istiod(providers: list[dict[str, Any]] | None = None, defaults: list[str] | None = None) -> Res:
    mesh_config: dict[str, Any] = {
        "extensionProviders": providers
        if providers is not None
        else [{"name": "otel-tracing", "opentelemetry": {"service": "otel-collector.observability.svc", "port": 4317}}]
    }
    if defaults is not None:
        mesh_config["defaultProviders"] = {"tracing": defaults}
    return chart("istiod", {"meshConfig": mesh_config})


def telemetry(sampling: float | None = 1.0, provider: str = "otel-tracing") -> Res:
    tracing: dict[str, Any] = {"providers": [{"name": provider}]}
    if sampling is not None:
        tracing["randomSamplingPercentage"] = sampling
    return Res(
        "kubernetes:telemetry.istio.io/v1:Telemetry",
        {
            "metadata": {"name": "mesh-default", "namespace": "istio-system"},
            "spec": {"accessLogging": [{"providers": [{"name": "envoy"}]}], "tracing": [tracing]},
        },
        name="telemetry",
    )


def pod_monitor() -> Res:
    return Res(
        "kubernetes:monitoring.coreos.com/v1:PodMonitor",
        {"spec": {"podMetricsEndpoints": [{"port": "http-envoy-prom", "path": "/stats/prometheus"}]}},
        name="sidecars",
    )


def full_stack() -> list[Res]:
    return [
        istiod(),
        telemetry(),
        chart("kube-prometheus-stack"),
        pod_monitor(),
        chart("loki"),
        chart("alloy"),
        chart("opentelemetry-collector"),
        chart("tempo"),
    ]


def run(resources: list[Res], config: dict[str, Any] | None = None) -> list[Finding]:
    return analyze_stack(signals.POLICIES, resources, {POLICY: config} if config else None)


def messages(resources: list[Res], config: dict[str, Any] | None = None) -> list[str]:
    return [f.message for f in violations(run(resources, config), POLICY)]


def without(resources: list[Res], name: str) -> list[Res]:
    return [r for r in resources if r.name != name]


def test_mesh_with_metrics_logs_and_traces_passes() -> None:
    assert run(full_stack()) == []


def test_stack_without_mesh_is_not_checked() -> None:
    assert run([chart("loki"), Res("kubernetes:core/v1:Namespace", {"metadata": {"name": "shop"}})]) == []


def test_mesh_alone_reports_every_missing_signal_on_the_istiod_chart() -> None:
    findings = violations(run([istiod()]), POLICY)
    text = [f.message for f in findings]
    assert len(text) == 4
    assert any("metrics are missing: no monitoring stack" in m for m in text)
    assert any("logs are missing: no log store" in m for m in text)
    assert any("logs are missing: no node log collector" in m for m in text)
    assert any("traces are missing: no trace collector or store" in m for m in text)
    assert all(f.urn.endswith("::istiod") and f.level == "mandatory" for f in findings)
    assert all("\nThe mesh is present (chart istiod), but " in m for m in text)


def test_istio_custom_resources_alone_mean_mesh_present() -> None:
    peer = Res("kubernetes:security.istio.io/v1:PeerAuthentication",
               {"metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "STRICT"}}},
               name="strict")
    text = messages([peer])
    assert len(text) == 4
    assert all("The mesh is present (PeerAuthentication)" in m for m in text)


def test_prometheus_without_a_mesh_monitor_fails() -> None:
    [message] = messages(without(full_stack(), "sidecars"))
    assert "metrics are missing: no ServiceMonitor/PodMonitor scrapes the mesh" in message


def test_monitor_of_something_else_does_not_count() -> None:
    app = Res("kubernetes:monitoring.coreos.com/v1:PodMonitor",
              {"spec": {"podMetricsEndpoints": [{"port": "http-metrics", "path": "/metrics"}]}}, name="app")
    [message] = messages([*without(full_stack(), "sidecars"), app])
    assert "scrapes the mesh" in message


def test_istiod_service_monitor_counts_as_mesh_scraping() -> None:
    monitor = Res("kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
                  {"spec": {"endpoints": [{"port": "http-monitoring"}]}}, name="istiod-monitor")
    assert messages([*without(full_stack(), "sidecars"), monitor]) == []


def test_prometheus_custom_resource_counts_as_monitoring_stack() -> None:
    prom = Res("kubernetes:monitoring.coreos.com/v1:Prometheus", {"spec": {}}, name="prom")
    assert messages([*without(full_stack(), "kube-prometheus-stack"), prom]) == []


def test_log_store_without_collector_fails() -> None:
    [message] = messages(without(full_stack(), "alloy"))
    assert message.endswith(
        "logs are missing: no node log collector (a chart among alloy, fluent-bit, fluentd, promtail, vector)."
    )


def test_collector_without_log_store_fails() -> None:
    [message] = messages(without(full_stack(), "loki"))
    assert "logs are missing: no log store" in message


def test_trace_pipeline_without_mesh_provider_fails() -> None:
    stack = [istiod(providers=[]), *full_stack()[1:]]
    [message] = messages(stack)
    assert "traces are missing: the istiod chart declares no tracing provider" in message


def test_provider_declared_but_not_turned_on_fails() -> None:
    [message] = messages(without(full_stack(), "telemetry"))
    assert "no Telemetry resource" in message and "otel-tracing" in message


def test_telemetry_naming_another_provider_fails() -> None:
    stack = [*without(full_stack(), "telemetry"), telemetry(provider="zipkin-other")]
    [message] = messages(stack)
    assert "turns on the tracing provider otel-tracing" in message


def test_zero_sampling_fails() -> None:
    stack = [*without(full_stack(), "telemetry"), telemetry(sampling=0)]
    [message] = messages(stack)
    assert "samples 0% of requests" in message


def test_default_providers_turn_tracing_on_without_telemetry() -> None:
    stack = [istiod(defaults=["otel-tracing"]), *without(full_stack(), "telemetry")[1:]]
    assert messages(stack) == []


def test_chart_references_in_every_form_are_recognised() -> None:
    stack = full_stack()
    stack[0] = Res(RELEASE, {"chart": "oci://registry.example.com/istio/istiod", "values": istiod().props["values"]},
                   name="istiod")
    stack[2] = Res(CHART, {"chart": "./charts/kube-prometheus-stack-94.4.0.tgz"}, name="kube-prometheus-stack")
    stack[4] = Res(CHART, {"chart": "grafana-community/loki"}, name="loki")
    assert messages(stack) == []


@pytest.mark.parametrize(
    ("reference", "name"),
    [
        ("istiod", "istiod"),
        ("istio/istiod", "istiod"),
        ("oci://registry.example.com/charts/istiod", "istiod"),
        ("oci://registry.example.com/charts/istiod:1.30.4", "istiod"),
        ("./charts/istiod-1.30.4.tgz", "istiod"),
        ("https://example.com/kube-prometheus-stack-94.4.0.tgz", "kube-prometheus-stack"),
        ("", None),
        (None, None),
    ],
)
def test_chart_basename(reference: str | None, name: str | None) -> None:
    assert chart_basename(reference) == name


def test_config_names_other_collectors() -> None:
    config = {"logCollectorCharts": ["fluent-bit"]}
    [message] = messages(full_stack(), config)
    assert "no node log collector (a chart among fluent-bit)" in message
    stack = [*without(full_stack(), "alloy"), chart("fluent-bit")]
    assert messages(stack, config) == []


def test_unknown_config_key_is_refused() -> None:
    with pytest.raises(Exception, match="has no config key 'logCollector'"):
        run(full_stack(), {"logCollector": ["alloy"]})


def test_bad_config_value_is_refused() -> None:
    with pytest.raises(Exception, match="'traceCharts' has value 'tempo'"):
        run(full_stack(), {"traceCharts": "tempo"})


def test_unknown_istiod_values_are_reported_not_passed() -> None:
    stack = full_stack()
    stack[0] = Res(CHART, {"chart": "istiod", "values": UNKNOWN}, name="istiod")
    findings = run(stack)
    assert violations(findings, POLICY) == []
    assert [f.level for f in findings if f.policy == POLICY and "during preview" in f.message] == ["advisory"]


def test_helper_does_not_mutate_fixture() -> None:
    stack = full_stack()
    snapshot = copy.deepcopy([r.props for r in stack])
    run(stack)
    assert [r.props for r in stack] == snapshot
