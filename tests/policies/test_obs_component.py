"""The Observability component, fed to the observability-baseline pack: it satisfies every policy."""

from __future__ import annotations

from components.observability import Observability
from components.observability_args import ObservabilityArgs, tracing_provider
from tests.obs_mocks import run
from tests.packharness import Res, add_pack_to_path, analyze, analyze_stack

add_pack_to_path("observability-baseline")
from observability_baseline import POLICIES  # noqa: E402


def mesh_with_tracing(args: ObservabilityArgs) -> list[Res]:
    """The two mesh resources the pack reads, wired to the component's tracing hook."""
    provider = tracing_provider(args)
    istiod = Res("kubernetes:helm.sh/v4:Chart", {
        "chart": "istiod",
        "values": {"meshConfig": {"extensionProviders": [
            {"name": "otel-tracing", "opentelemetry": {"service": provider.service, "port": provider.port}}]}},
    }, name="istiod")
    telemetry = Res("kubernetes:telemetry.istio.io/v1:Telemetry", {
        "metadata": {"name": "mesh-default", "namespace": "istio-system"},
        "spec": {"accessLogging": [{"providers": [{"name": "envoy"}]}],
                 "tracing": [{"providers": [{"name": "otel-tracing"}],
                              "randomSamplingPercentage": provider.sampling_percent}]},
    }, name="mesh-default")
    return [istiod, telemetry]


def test_observability_component_with_the_mesh_passes_every_policy() -> None:
    args = ObservabilityArgs(grafana_admin_password="pw")
    recorded = run(lambda: Observability("obs", args), {})
    resources = [Res(r.type, r.inputs, name=r.name) for r in recorded.records if r.type.startswith("kubernetes:")]
    stack = [*mesh_with_tracing(args), *resources]
    assert analyze_stack(POLICIES, stack) == []
    for resource in stack:
        assert analyze(POLICIES, resource) == [], resource.name


def test_mesh_without_the_component_fails() -> None:
    args = ObservabilityArgs(grafana_admin_password="pw")
    findings = analyze_stack(POLICIES, mesh_with_tracing(args))
    assert {f.policy for f in findings} == {"observability-signals-present"}
    assert len(findings) == 4
