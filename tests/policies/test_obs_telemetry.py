"""observability-baseline: telemetry-access-logging-enabled, through the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze, violations

add_pack_to_path("observability-baseline")
from observability_baseline import telemetry  # noqa: E402

POLICY = "telemetry-access-logging-enabled"
V1 = "kubernetes:telemetry.istio.io/v1:Telemetry"


def props(namespace: str = "istio-system", **spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"accessLogging": [{"providers": [{"name": "envoy"}]}]}
    base.update(spec)
    return {"metadata": {"name": "mesh-default", "namespace": namespace}, "spec": base}


def run(p: dict[str, Any], type_: str = V1, config: dict[str, Any] | None = None) -> list[Finding]:
    return analyze(telemetry.POLICIES, Res(type_, p, name="mesh-default"), {POLICY: config} if config else None)


def messages(p: dict[str, Any], type_: str = V1, config: dict[str, Any] | None = None) -> list[str]:
    return [f.message for f in violations(run(p, type_, config), POLICY)]


def test_mesh_wide_access_logging_passes() -> None:
    assert run(props()) == []


def test_mesh_wide_access_logging_disabled_fails_with_field_path() -> None:
    [finding] = violations(run(props(accessLogging=[{"disabled": True}])), POLICY)
    assert "Telemetry istio-system/mesh-default applies to the whole mesh" in finding.message
    assert "spec.accessLogging[0].disabled is true" in finding.message
    assert finding.level == "mandatory"


def test_second_entry_disabled_is_named() -> None:
    spec = [{"providers": [{"name": "envoy"}]}, {"providers": [{"name": "otel-als"}], "disabled": True}]
    [message] = messages(props(accessLogging=spec))
    assert "spec.accessLogging[1].disabled is true" in message


def test_disabled_as_string_fails() -> None:
    assert len(messages(props(accessLogging=[{"disabled": "true"}]))) == 1


def test_explicitly_enabled_passes() -> None:
    assert messages(props(accessLogging=[{"disabled": False, "providers": [{"name": "envoy"}]}])) == []


@pytest.mark.parametrize("version", ["v1alpha1", "v1beta1"])
def test_older_api_versions_are_checked(version: str) -> None:
    type_ = f"kubernetes:telemetry.istio.io/{version}:Telemetry"
    assert len(messages(props(accessLogging=[{"disabled": True}]), type_)) == 1


def test_namespace_scoped_telemetry_is_out_of_scope() -> None:
    assert messages(props(namespace="shop", accessLogging=[{"disabled": True}])) == []


@pytest.mark.parametrize(
    "scope",
    [
        {"selector": {"matchLabels": {"app": "noisy"}}},
        {"targetRef": {"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "public"}},
        {"targetRefs": [{"kind": "Service", "group": "", "name": "noisy"}]},
    ],
)
def test_workload_scoped_telemetry_in_root_namespace_is_out_of_scope(scope: dict[str, Any]) -> None:
    assert messages(props(accessLogging=[{"disabled": True}], **scope)) == []


def test_root_namespace_comes_from_config() -> None:
    disabled = props(namespace="mesh-root", accessLogging=[{"disabled": True}])
    assert messages(disabled) == []
    [message] = messages(disabled, config={"rootNamespace": "mesh-root"})
    assert "Telemetry mesh-root/mesh-default" in message


def test_missing_spec_and_metadata_do_not_crash() -> None:
    assert run({}) == []
    assert run({"metadata": {"namespace": "istio-system"}}) == []


def test_other_resource_types_are_ignored() -> None:
    cm = {"metadata": {"namespace": "istio-system"}, "spec": {"accessLogging": [{"disabled": True}]}}
    assert analyze(telemetry.POLICIES, Res("kubernetes:core/v1:ConfigMap", cm)) == []


def test_unknown_access_logging_is_reported_as_advisory() -> None:
    findings = run(props(accessLogging=UNKNOWN))
    assert violations(findings, POLICY) == []
    assert [f.level for f in findings if "during preview" in f.message] == ["advisory"]


def test_unknown_config_key_is_refused() -> None:
    with pytest.raises(Exception, match="has no config key 'root'"):
        run(props(), config={"root": "istio-system"})
