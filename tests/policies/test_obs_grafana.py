"""observability-baseline: grafana-admin-credentials-from-secret, through the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze, violations

add_pack_to_path("observability-baseline")
from observability_baseline import grafana  # noqa: E402

from components.observability_args import ObservabilityArgs  # noqa: E402
from components.observability_metrics import kps_values  # noqa: E402

POLICY = "grafana-admin-credentials-from-secret"
CHART = "kubernetes:helm.sh/v4:Chart"


def run(chart: str, values: Any, type_: str = CHART) -> list[Finding]:
    return analyze(grafana.POLICIES, Res(type_, {"chart": chart, "values": values}, name="chart"))


def messages(chart: str, values: Any, type_: str = CHART) -> list[str]:
    return [f.message for f in violations(run(chart, values, type_), POLICY)]


def test_the_components_own_kube_prometheus_stack_values_pass() -> None:
    args = ObservabilityArgs(grafana_admin_existing_secret="grafana-admin")
    assert run("kube-prometheus-stack", kps_values(args, "grafana-admin")) == []


def test_kube_prometheus_stack_without_existing_secret_fails() -> None:
    [finding] = violations(run("kube-prometheus-stack", {"grafana": {"persistence": {"enabled": True}}}), POLICY)
    assert "values.grafana.admin.existingSecret is not set" in finding.message
    assert "'prom-operator'" in finding.message
    assert finding.level == "mandatory"


def test_kube_prometheus_stack_with_no_values_fails() -> None:
    assert len(messages("kube-prometheus-stack", {})) == 1


def test_plaintext_admin_password_fails_even_with_existing_secret() -> None:
    values = {"grafana": {"adminPassword": "hunter2", "admin": {"existingSecret": "grafana-admin"}}}
    [message] = messages("kube-prometheus-stack", values)
    assert "values.grafana.adminPassword is set" in message
    assert "hunter2" not in message


def test_grafana_chart_reads_top_level_values() -> None:
    assert messages("grafana", {"admin": {"existingSecret": "grafana-admin"}}) == []
    [message] = messages("grafana-community/grafana", {"adminPassword": "x", "admin": {"existingSecret": "g"}})
    assert "values.adminPassword is set" in message
    assert len(messages("oci://ghcr.io/grafana-community/helm-charts/grafana", {})) == 1


def test_helm_release_is_checked_too() -> None:
    assert len(messages("kube-prometheus-stack", {}, "kubernetes:helm.sh/v3:Release")) == 1


def test_disabled_grafana_is_not_checked() -> None:
    assert messages("kube-prometheus-stack", {"grafana": {"enabled": False}}) == []


def test_other_charts_are_ignored() -> None:
    assert run("loki", {"adminPassword": "x"}) == []


@pytest.mark.parametrize("type_", ["kubernetes:core/v1:Secret", "kubernetes:helm.sh/v3:Chart"])
def test_other_resource_types_are_ignored(type_: str) -> None:
    assert analyze(grafana.POLICIES, Res(type_, {"chart": "grafana", "values": {}})) == []


def test_unknown_values_are_reported_as_advisory() -> None:
    findings = run("kube-prometheus-stack", UNKNOWN)
    assert violations(findings, POLICY) == []
    assert [f.level for f in findings if "during preview" in f.message] == ["advisory"]
