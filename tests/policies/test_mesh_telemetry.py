"""telemetry-access-logging-not-disabled."""

from __future__ import annotations

from tests.policies.mesh_helpers import istio, messages

POLICY = "telemetry-access-logging-not-disabled"


def test_access_logging_on_passes() -> None:
    res = istio("Telemetry", {"accessLogging": [{"providers": [{"name": "envoy"}]}]}, name="mesh-default")
    assert messages(POLICY, res) == []


def test_mesh_wide_disable_fails() -> None:
    res = istio("Telemetry", {"accessLogging": [{"providers": [{"name": "envoy"}], "disabled": True}]})
    assert messages(POLICY, res) == [
        "spec.accessLogging[0].disabled is true in the root namespace: no proxy writes access logs."
    ]


def test_workload_or_namespace_scoped_disable_is_not_mesh_wide() -> None:
    scoped = istio(
        "Telemetry", {"selector": {"matchLabels": {"app": "x"}}, "accessLogging": [{"disabled": True}]}
    )
    other_ns = istio("Telemetry", {"accessLogging": [{"disabled": True}]}, namespace="orders")
    assert messages(POLICY, scoped) == messages(POLICY, other_ns) == []


def test_configured_root_namespace() -> None:
    res = istio("Telemetry", {"accessLogging": [{"disabled": True}]}, namespace="mesh-root")
    assert len(messages(POLICY, res, {"rootNamespace": "mesh-root"})) == 1
