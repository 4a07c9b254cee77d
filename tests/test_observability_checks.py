"""The observability-code checks: every shipped rule and dashboard passes, every check can fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.observability_assets import REPO_ROOT, dashboard_files, rule_files
from components.observability_checks import (
    Problem,
    check_all,
    check_dashboard,
    check_dashboard_file,
    check_rule_file,
    check_rule_spec,
    promql_error,
    substitute_variables,
)

SERVICE_DETAIL = next(p for p in dashboard_files() if p.name == "service-detail.json")
CONTROL_PLANE_RULES = next(p for p in rule_files() if p.name == "control-plane.yaml")


def load_dashboard(path: Path = SERVICE_DETAIL) -> dict[str, Any]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def load_rules(path: Path = CONTROL_PLANE_RULES) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# --- the shipped files ---


def test_every_shipped_rule_and_dashboard_passes_every_check() -> None:
    assert messages(check_all()) == []


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.name)
def test_shipped_rule_file(path: Path) -> None:
    assert messages(check_rule_file(path)) == []


@pytest.mark.parametrize("path", dashboard_files(), ids=lambda p: p.name)
def test_shipped_dashboard(path: Path) -> None:
    assert messages(check_dashboard_file(path)) == []


def test_the_shipped_files_cover_what_the_issue_asks_for() -> None:
    alerts = {r["alert"] for p in rule_files() for g in yaml.safe_load(p.read_text())["groups"]
              for r in g["rules"] if "alert" in r}
    assert {"ServiceErrorBudgetBurnFast", "ServiceLatencyBudgetBurnSlow", "IstiodDown", "IstiodXdsRejected",
            "MeshTlsHandshakeFailures", "WorkloadCertificateNearExpiry", "PrometheusConfigReloadFailed",
            "AlertmanagerNotificationsFailing"} <= alerts
    exprs = " ".join(json.dumps(json.loads(p.read_text())) for p in dashboard_files())
    for metric in ("istio_requests_total", "istio_request_duration_milliseconds_bucket", "pilot_xds_pushes",
                   "pilot_total_xds_rejects", "pilot_proxy_convergence_time_bucket", "connection_security_policy",
                   "citadel_server_root_cert_expiry_timestamp", "istio_agent_cert_expiry_seconds"):
        assert metric in exprs


# --- PromQL: a broken expression is caught, in rules and in panels ---


def test_broken_rule_expression_is_reported_with_file_and_alert() -> None:
    spec = load_rules()
    spec["groups"][0]["rules"][0]["expr"] = 'absent(up{job="istiod"} == 1'
    [problem] = check_rule_spec(spec, "observability/rules/control-plane.yaml")
    assert problem.file == "observability/rules/control-plane.yaml"
    assert problem.item == "alert IstiodDown"
    assert problem.message.startswith("expr does not parse: unclosed left parenthesis")


def test_semantically_wrong_expression_is_reported() -> None:
    spec = load_rules()
    spec["groups"][0]["rules"][1]["expr"] = 'rate(pilot_total_xds_rejects{job="istiod"}) > 0'
    [problem] = check_rule_spec(spec, "f.yaml")
    assert "expected type matrix" in problem.message and problem.item == "alert IstiodXdsRejected"


def test_broken_recording_rule_is_reported() -> None:
    spec = {"groups": [{"name": "g", "rules": [{"record": "x:y", "expr": "sum by (a (x)"}]}]}
    [problem] = check_rule_spec(spec, "f.yaml")
    assert problem.item == "record x:y" and "does not parse" in problem.message


def test_broken_panel_expression_is_reported_with_panel_and_target() -> None:
    dashboard = load_dashboard()
    panel = dashboard["panels"][4]
    panel["targets"][0]["expr"] = panel["targets"][0]["expr"].replace("[$__rate_interval]", "[$__rate_interval")
    [problem] = check_dashboard(dashboard, "service-detail.json")
    assert problem.item == f"panel {panel['id']} {panel['title']!r} target A"
    assert problem.message.startswith("PromQL does not parse:")


def test_broken_variable_query_is_reported() -> None:
    dashboard = load_dashboard()
    dashboard["templating"]["list"][1]["query"]["query"] = "label_values(istio_requests_total{reporter=}, x)"
    [problem] = check_dashboard(dashboard, "d.json")
    assert problem.item == "variable $service" and "does not parse" in problem.message


def test_undefined_template_variable_is_reported() -> None:
    dashboard = load_dashboard()
    dashboard["panels"][0]["targets"][0]["expr"] = 'sum(rate(istio_requests_total{destination_app="$app"}[5m]))'
    [problem] = check_dashboard(dashboard, "d.json")
    assert problem.message == "uses undefined template variable $app"


def test_loki_and_tempo_queries_are_not_parsed_as_promql() -> None:
    dashboard = load_dashboard()
    logs = [p for p in dashboard["panels"] if p["datasource"]["uid"] == "loki"]
    assert logs and "|" in logs[0]["targets"][0]["expr"]  # LogQL, which PromQL would reject
    assert check_dashboard(dashboard, "d.json") == []


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('rate(x{a="$v"}[$__rate_interval])', 'rate(x{a="value"}[5m])'),
        ("rate(x[$window])", "rate(x[10m])"),
        ("x > $threshold", "x > 1"),
        ('x{n=~"${namespace:regex}"}', 'x{n=~"shop"}'),
        ("sum(x) by ([[label]])", "sum(x) by (1)"),
    ],
)
def test_grafana_variables_are_substituted_by_kind(expr: str, expected: str) -> None:
    values = {"v": "$__all", "window": "10m", "threshold": "All", "namespace": "shop", "label": None}
    assert substitute_variables(expr, values) == (expected, [])


def test_substituted_variables_parse() -> None:
    concrete, undefined = substitute_variables(
        'histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket'
        '{destination_service_name="$service"}[$__rate_interval])))', {"service": None})
    assert undefined == [] and promql_error(concrete) is None


# --- alerts: summary, severity and runbook link ---


def _alert(**changes: Any) -> dict[str, Any]:
    spec = load_rules()
    rule = spec["groups"][0]["rules"][0]
    for path, value in changes.items():
        section, _, key = path.partition("__")
        if value is None:
            rule[section].pop(key)
        else:
            rule[section][key] = value
    return spec


def test_alert_without_runbook_url_is_reported() -> None:
    [problem] = check_rule_spec(_alert(annotations__runbook_url=None), "r.yaml")
    assert (problem.file, problem.item, problem.message) == ("r.yaml", "alert IstiodDown",
                                                              "missing annotations.runbook_url")


def test_runbook_link_to_a_missing_page_is_reported() -> None:
    [problem] = check_rule_spec(_alert(annotations__runbook_url="docs/runbooks/NoSuchAlert.md"), "r.yaml")
    assert "docs/runbooks/NoSuchAlert.md, which does not exist" in problem.message


def test_absolute_runbook_link_into_the_repository_is_checked_too() -> None:
    good = "https://git.example.com/platform/blob/main/docs/runbooks/IstiodDown.md"
    assert check_rule_spec(_alert(annotations__runbook_url=good), "r.yaml") == []
    bad = good.replace("IstiodDown", "Typo")
    assert len(check_rule_spec(_alert(annotations__runbook_url=bad), "r.yaml")) == 1


def test_alert_without_summary_is_reported() -> None:
    [problem] = check_rule_spec(_alert(annotations__summary=None), "r.yaml")
    assert problem.message == "missing annotations.summary"


def test_alert_without_severity_is_reported() -> None:
    [problem] = check_rule_spec(_alert(labels__severity=None), "r.yaml")
    assert problem.message == "missing labels.severity"


def test_alert_with_unknown_severity_is_reported() -> None:
    [problem] = check_rule_spec(_alert(labels__severity="page"), "r.yaml")
    assert "labels.severity is 'page'" in problem.message


def test_bad_for_duration_and_shape_are_reported() -> None:
    spec = load_rules()
    spec["groups"][0]["rules"][0]["for"] = "five minutes"
    assert [p.message for p in check_rule_spec(spec, "r.yaml")] == ["'for' is 'five minutes', not a duration"]
    assert check_rule_spec({"groups": []}, "r.yaml")[0].item == "groups"
    both = {"groups": [{"name": "g", "rules": [{"alert": "A", "record": "b", "expr": "up"}]}]}
    assert "exactly one of" in check_rule_spec(both, "r.yaml")[0].message


# --- dashboards: valid JSON and datasource references that resolve ---


def test_dangling_panel_datasource_uid_is_reported() -> None:
    dashboard = load_dashboard()
    dashboard["panels"][0]["datasource"] = {"type": "prometheus", "uid": "prometheus-old"}
    problems = check_dashboard(dashboard, "d.json")
    assert [p.item for p in problems] == [f"panel 1 {dashboard['panels'][0]['title']!r}"]
    assert "datasource uid 'prometheus-old' is not provisioned" in problems[0].message


def test_dangling_target_datasource_uid_is_reported() -> None:
    dashboard = load_dashboard()
    dashboard["panels"][2]["targets"][0]["datasource"]["uid"] = "thanos"
    [problem] = check_dashboard(dashboard, "d.json")
    assert problem.item.endswith("target A") and "'thanos' is not provisioned" in problem.message


def test_dangling_variable_datasource_is_reported() -> None:
    dashboard = load_dashboard()
    dashboard["templating"]["list"][0]["datasource"] = {"type": "prometheus", "uid": "nope"}
    [problem] = check_dashboard(dashboard, "d.json")
    assert problem.item == "variable $namespace"


def test_datasource_type_mismatch_is_reported() -> None:
    dashboard = load_dashboard()
    dashboard["panels"][0]["datasource"] = {"type": "prometheus", "uid": "loki"}
    problems = check_dashboard(dashboard, "d.json")
    assert any("'loki' is a loki datasource, referenced as type 'prometheus'" in p.message for p in problems)


def test_datasource_by_name_is_reported() -> None:
    dashboard = load_dashboard()
    dashboard["panels"][0]["datasource"] = "Prometheus"
    dashboard["panels"][0]["targets"][0].pop("datasource")
    problems = check_dashboard(dashboard, "d.json")
    assert any("datasource given by name 'Prometheus'" in p.message for p in problems)


def test_datasource_variables_resolve() -> None:
    dashboard = load_dashboard()
    dashboard["templating"]["list"].append({"name": "ds", "type": "datasource", "query": "prometheus"})
    for panel in dashboard["panels"]:
        if panel["datasource"]["uid"] == "prometheus":
            panel["datasource"] = {"type": "prometheus", "uid": "${ds}"}
            for target in panel["targets"]:
                target["datasource"] = {"type": "prometheus", "uid": "$ds"}
    assert check_dashboard(dashboard, "d.json") == []
    dashboard["panels"][0]["datasource"]["uid"] = "${other}"
    assert "refers to no datasource variable" in check_dashboard(dashboard, "d.json")[0].message


def test_nested_row_panels_are_checked() -> None:
    dashboard = load_dashboard()
    inner = copy.deepcopy(dashboard["panels"][0])
    inner["datasource"] = {"type": "prometheus", "uid": "gone"}
    inner["targets"][0]["datasource"] = {"type": "prometheus", "uid": "gone"}
    dashboard["panels"].append({"id": 99, "type": "row", "title": "Collapsed", "collapsed": True, "panels": [inner]})
    assert len(check_dashboard(dashboard, "d.json")) == 2


def test_invalid_json_and_missing_fields_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"uid": "x", "panels": [}')
    [problem] = check_dashboard_file(broken, tmp_path)
    assert (problem.file, problem.item) == ("broken.json", "file") and "not valid JSON" in problem.message
    assert [p.message for p in check_dashboard({"panels": []}, "d.json")] == ["missing 'uid'", "missing 'title'"]


def test_check_all_reports_duplicates_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "observability" / "rules").mkdir(parents=True)
    (tmp_path / "observability" / "dashboards").mkdir()
    assert {p.item for p in check_all(tmp_path / "observability", tmp_path)} == {"rules", "dashboards"}
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / "observability" / "rules" / name).write_text(CONTROL_PLANE_RULES.read_text())
    for name in ("a.json", "b.json"):
        (tmp_path / "observability" / "dashboards" / name).write_text(SERVICE_DETAIL.read_text())
    (tmp_path / "docs" / "runbooks").mkdir(parents=True)
    for page in (REPO_ROOT / "docs" / "runbooks").glob("*.md"):
        (tmp_path / "docs" / "runbooks" / page.name).write_text(page.read_text())
    problems = messages(check_all(tmp_path / "observability", tmp_path))
    assert "observability/rules/b.yaml: alert IstiodDown: also defined in observability/rules/a.yaml" in problems
    assert "observability/dashboards/b.json: dashboard: uid 'service-detail' also used by " \
           "observability/dashboards/a.json" in problems
