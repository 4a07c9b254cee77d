"""Checks on the observability code itself (SP 800-204C §4.8: every code type is tested).

- Every PromQL expression parses: each rule's `expr`, each Prometheus panel target and each
  Prometheus template-variable query, after Grafana's variables (`$service`, `${namespace}`,
  `$__rate_interval`, ...) are replaced by values of the right kind. Parser: `promql-parser`
  (PyPI), the Python binding of GreptimeTeam's Rust PromQL parser.
- Every alert has `labels.severity` (critical, warning or info), `annotations.summary` and
  `annotations.runbook_url`; a repository-relative runbook link must name an existing file.
- Every dashboard is valid JSON; every datasource reference (panel, target, template variable)
  names a provisioned datasource uid of the matching type; every template variable a query
  uses is defined.

Each check returns a list of Problems (file, alert or panel, what is wrong); empty means clean.
Run `python -m components.observability_checks` to check the shipped files.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from components.observability_args import (
    ALERTMANAGER_DATASOURCE_UID,
    LOKI_DATASOURCE_UID,
    PROMETHEUS_DATASOURCE_UID,
    TEMPO_DATASOURCE_UID,
)
from components.observability_assets import ASSETS_DIR, REPO_ROOT, dashboard_files, rule_files

# The datasources Grafana is provisioned with (components.observability_metrics): uid -> type.
PROVISIONED_DATASOURCES: Mapping[str, str] = {
    PROMETHEUS_DATASOURCE_UID: "prometheus",
    LOKI_DATASOURCE_UID: "loki",
    TEMPO_DATASOURCE_UID: "tempo",
    ALERTMANAGER_DATASOURCE_UID: "alertmanager",
}
# Grafana's built-in pseudo datasources, always present.
BUILTIN_DATASOURCES = frozenset({"grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --"})
SEVERITIES = ("critical", "warning", "info")

# Grafana's global variables, replaced by a value of the kind they stand for.
_GLOBAL_VARIABLES: Mapping[str, str] = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "__auto": "1m",
    "__interval_ms": "60000",
    "__range_ms": "3600000",
    "__range_s": "3600",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]")
_DURATION = re.compile(r"(\d+(ms|s|m|h|d|w|y))+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_LABEL_VALUES = re.compile(r"\s*label_values\((?P<expr>.*),\s*(?P<label>[A-Za-z_]\w*)\s*\)\s*", re.S)
_LABEL_VALUES_ONLY_LABEL = re.compile(r"\s*label_values\(\s*[A-Za-z_]\w*\s*\)\s*")
_QUERY_RESULT = re.compile(r"\s*query_result\((?P<expr>.*)\)\s*", re.S)
_NOT_PROMQL = re.compile(r"\s*(metrics|label_names)\(.*\)\s*", re.S)


@dataclass(frozen=True)
class Problem:
    file: str
    item: str
    """The alert, recording rule, panel or variable concerned."""
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.message}"


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def promql_error(expr: str) -> str | None:
    """The parser's error for an expression, or None when it parses."""
    try:
        promql_parser.parse(expr)
    except (ValueError, RuntimeError) as error:  # the binding raises ValueError on syntax errors
        return str(error) or type(error).__name__
    return None


# ---- Grafana variables ----------------------------------------------------------------------


def _string_spans(expr: str) -> list[tuple[int, int]]:
    """(start, end) of every quoted string literal in a PromQL expression."""
    spans = []
    i = 0
    while i < len(expr):
        quote = expr[i]
        if quote in "\"'`":
            start = i
            i += 1
            while i < len(expr) and expr[i] != quote:
                i += 2 if expr[i] == "\\" and quote != "`" else 1
            spans.append((start, i))
        i += 1
    return spans


def _value_for(name: str, current: str | None, in_string: bool, before: str, after: str) -> str:
    if name in _GLOBAL_VARIABLES:
        return _GLOBAL_VARIABLES[name]
    if in_string:
        # Any text is valid inside a label matcher; keep regex syntax out of the stand-in.
        return current if current and re.fullmatch(r"[\w.-]+", current) else "value"
    if current and (_DURATION.fullmatch(current) or _NUMBER.fullmatch(current)):
        return current
    return "5m" if before.rstrip().endswith("[") or after.lstrip().startswith("]") else "1"


def substitute_variables(expr: str, variables: Mapping[str, str | None]) -> tuple[str, list[str]]:
    """`expr` with Grafana variables replaced; also the names used but not defined."""
    spans = _string_spans(expr)
    undefined: list[str] = []
    out: list[str] = []
    last = 0
    for match in _VARIABLE.finditer(expr):
        name = next(g for g in match.groups() if g)
        known = name in _GLOBAL_VARIABLES or name in variables
        if not known and name not in undefined:
            undefined.append(name)
        in_string = any(start < match.start() < end for start, end in spans)
        out.append(expr[last:match.start()])
        out.append(_value_for(name, variables.get(name), in_string, expr[:match.start()], expr[match.end():]))
        last = match.end()
    out.append(expr[last:])
    return "".join(out), undefined


# ---- rules ----------------------------------------------------------------------------------


def _runbook_problem(url: str, repo_root: Path) -> str | None:
    """A repository runbook link (relative, or absolute ending in docs/runbooks/...) must exist."""
    match = re.search(r"(docs/runbooks/[^#?\s]+)", url)
    if "://" not in url and match is None:
        return f"runbook_url {url!r} is neither a URL nor a docs/runbooks/ path"
    if match is not None and not (repo_root / match.group(1)).is_file():
        return f"runbook_url {url!r} names {match.group(1)}, which does not exist"
    return None


def check_rule_spec(spec: Any, file: str, repo_root: Path = REPO_ROOT) -> list[Problem]:
    """Problems of one PrometheusRule spec (`{groups: [...]}`)."""
    if not isinstance(spec, Mapping) or not isinstance(spec.get("groups"), list) or not spec["groups"]:
        return [Problem(file, "groups", "expected a mapping with a non-empty 'groups' list")]
    problems: list[Problem] = []
    for g, group in enumerate(spec["groups"]):
        group_name = group.get("name") if isinstance(group, Mapping) else None
        if not isinstance(group_name, str) or not isinstance(group.get("rules"), list):
            problems.append(Problem(file, f"groups[{g}]", "a group needs a 'name' and a 'rules' list"))
            continue
        for r, rule in enumerate(group["rules"]):
            problems += _check_rule(rule, file, f"{group_name}[{r}]", repo_root)
    return problems


def _check_rule(rule: Any, file: str, where: str, repo_root: Path) -> list[Problem]:
    if not isinstance(rule, Mapping) or ("alert" in rule) == ("record" in rule):
        return [Problem(file, where, "a rule needs exactly one of 'alert' or 'record'")]
    item = f"alert {rule['alert']}" if "alert" in rule else f"record {rule['record']}"
    problems: list[Problem] = []
    expr = rule.get("expr")
    if not isinstance(expr, str) or not expr.strip():
        problems.append(Problem(file, item, "missing 'expr'"))
    elif (error := promql_error(expr)) is not None:
        problems.append(Problem(file, item, f"expr does not parse: {error}"))
    if "record" in rule:
        return problems
    if "for" in rule and not (isinstance(rule["for"], str) and _DURATION.fullmatch(rule["for"])):
        problems.append(Problem(file, item, f"'for' is {rule['for']!r}, not a duration"))
    labels: Mapping[str, Any] = rule["labels"] if isinstance(rule.get("labels"), Mapping) else {}
    annotations: Mapping[str, Any] = rule["annotations"] if isinstance(rule.get("annotations"), Mapping) else {}
    severity = labels.get("severity")
    if severity is None:
        problems.append(Problem(file, item, "missing labels.severity"))
    elif severity not in SEVERITIES:
        problems.append(Problem(file, item, f"labels.severity is {severity!r}; allowed: {', '.join(SEVERITIES)}"))
    if not str(annotations.get("summary") or "").strip():
        problems.append(Problem(file, item, "missing annotations.summary"))
    runbook = str(annotations.get("runbook_url") or "").strip()
    if not runbook:
        problems.append(Problem(file, item, "missing annotations.runbook_url"))
    elif (message := _runbook_problem(runbook, repo_root)) is not None:
        problems.append(Problem(file, item, message))
    return problems


def check_rule_file(path: Path, repo_root: Path = REPO_ROOT) -> list[Problem]:
    file = _relative(path, repo_root)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        return [Problem(file, "file", f"not valid YAML: {error}")]
    return check_rule_spec(spec, file, repo_root)


def alert_names(spec: Any) -> Iterator[str]:
    for group in (spec or {}).get("groups") or []:
        for rule in group.get("rules") or []:
            if isinstance(rule, Mapping) and "alert" in rule:
                yield str(rule["alert"])


# ---- dashboards -----------------------------------------------------------------------------


def _panels(panels: Any) -> Iterator[Mapping[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in panels if isinstance(panels, list) else []:
        if isinstance(panel, Mapping):
            yield panel
            yield from _panels(panel.get("panels"))


def _variables(dashboard: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    templating = dashboard.get("templating")
    listed = templating.get("list") if isinstance(templating, Mapping) else None
    return [v for v in listed or [] if isinstance(v, Mapping)]


def _current_value(variable: Mapping[str, Any]) -> str | None:
    current = variable.get("current")
    value = current.get("value") if isinstance(current, Mapping) else None
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None and variable.get("type") in ("custom", "constant", "interval", "textbox"):
        query = variable.get("query")
        value = str(query).split(",")[0].strip() if query else None
    return str(value) if value is not None else None


class _DatasourceResolver:
    """Resolves a datasource reference to (uid, type), through datasource-type variables."""

    def __init__(self, variables: list[Mapping[str, Any]]) -> None:
        self.ds_variables = {
            str(v.get("name")): str(v.get("query") or "") for v in variables if v.get("type") == "datasource"
        }

    def resolve(self, ref: Any) -> tuple[str | None, str | None, str | None]:
        """(uid, type, problem); uid None with no problem means "not set here"."""
        if ref is None:
            return None, None, None
        if isinstance(ref, str):
            return None, None, f"datasource given by name {ref!r}; reference it as {{type, uid}}"
        if not isinstance(ref, Mapping):
            return None, None, f"datasource is {ref!r}, not an object"
        uid = ref.get("uid")
        kind = ref.get("type")
        if not isinstance(uid, str) or not uid:
            return None, None, "datasource has no uid"
        variable = _VARIABLE.fullmatch(uid)
        if variable is not None:
            name = next(g for g in variable.groups() if g)
            if name not in self.ds_variables:
                return None, None, f"datasource uid {uid!r} refers to no datasource variable"
            plugin = self.ds_variables[name]
            return uid, plugin, None
        if uid in BUILTIN_DATASOURCES:
            return uid, kind if isinstance(kind, str) else None, None
        if uid not in PROVISIONED_DATASOURCES:
            return None, None, (
                f"datasource uid {uid!r} is not provisioned (provisioned: {', '.join(sorted(PROVISIONED_DATASOURCES))})"
            )
        provisioned = PROVISIONED_DATASOURCES[uid]
        if isinstance(kind, str) and kind != provisioned:
            return None, None, f"datasource uid {uid!r} is a {provisioned} datasource, referenced as type {kind!r}"
        return uid, provisioned, None


def _variable_query(variable: Mapping[str, Any]) -> str | None:
    query = variable.get("query")
    if isinstance(query, Mapping):
        query = query.get("query")
    return query if isinstance(query, str) else None


def _promql_of_variable_query(query: str) -> str | None:
    """The PromQL inside a Prometheus variable query, or None when there is none."""
    if _LABEL_VALUES_ONLY_LABEL.fullmatch(query) or _NOT_PROMQL.fullmatch(query):
        return None
    for pattern in (_LABEL_VALUES, _QUERY_RESULT):
        match = pattern.fullmatch(query)
        if match is not None:
            return match.group("expr")
    return query


def _check_expr(expr: str, values: Mapping[str, str | None], file: str, item: str) -> list[Problem]:
    concrete, undefined = substitute_variables(expr, values)
    problems = [Problem(file, item, f"uses undefined template variable ${name}") for name in undefined]
    if (error := promql_error(concrete)) is not None:
        problems.append(Problem(file, item, f"PromQL does not parse: {error} (query: {expr})"))
    return problems


def check_dashboard(dashboard: Any, file: str) -> list[Problem]:
    """Problems of one decoded dashboard."""
    if not isinstance(dashboard, Mapping):
        return [Problem(file, "dashboard", "expected a JSON object")]
    problems: list[Problem] = []
    for key in ("uid", "title"):
        if not isinstance(dashboard.get(key), str) or not dashboard[key]:
            problems.append(Problem(file, "dashboard", f"missing '{key}'"))
    variables = _variables(dashboard)
    values = {str(v.get("name")): _current_value(v) for v in variables}
    resolver = _DatasourceResolver(variables)

    for variable in variables:
        item = f"variable ${variable.get('name')}"
        if variable.get("type") != "query":
            continue
        uid, kind, problem = resolver.resolve(variable.get("datasource"))
        if problem:
            problems.append(Problem(file, item, problem))
        query = _variable_query(variable)
        promql = _promql_of_variable_query(query) if query and kind == "prometheus" else None
        if promql is not None:
            problems += _check_expr(promql, values, file, item)

    for panel in _panels(dashboard.get("panels")):
        panel_item = f"panel {panel.get('id')} {panel.get('title')!r}"
        panel_uid, panel_kind, problem = resolver.resolve(panel.get("datasource"))
        if problem:
            problems.append(Problem(file, panel_item, problem))
        for target in panel.get("targets") or []:
            if not isinstance(target, Mapping):
                continue
            item = f"{panel_item} target {target.get('refId')}"
            uid, kind, problem = resolver.resolve(target.get("datasource"))
            if problem:
                problems.append(Problem(file, item, problem))
            if uid is None and not problem:
                uid, kind = panel_uid, panel_kind
            if uid is None and not problem and panel_uid is None and panel.get("type") != "row":
                problems.append(Problem(file, item, "no datasource on the target or its panel"))
            expr = target.get("expr")
            if kind == "prometheus" and isinstance(expr, str):
                problems += _check_expr(expr, values, file, item)
    return problems


def check_dashboard_file(path: Path, repo_root: Path = REPO_ROOT) -> list[Problem]:
    file = _relative(path, repo_root)
    try:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        return [Problem(file, "file", f"not valid JSON: {error}")]
    return check_dashboard(dashboard, file)


# ---- everything -----------------------------------------------------------------------------


def check_all(root: Path = ASSETS_DIR, repo_root: Path = REPO_ROOT) -> list[Problem]:
    """Every check over every shipped rule file and dashboard, plus uniqueness across files."""
    problems: list[Problem] = []
    seen_alerts: dict[str, str] = {}
    for path in rule_files(root):
        problems += check_rule_file(path, repo_root)
        file = _relative(path, repo_root)
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        for name in alert_names(spec if isinstance(spec, Mapping) else {}):
            if name in seen_alerts and seen_alerts[name] != file:
                problems.append(Problem(file, f"alert {name}", f"also defined in {seen_alerts[name]}"))
            seen_alerts.setdefault(name, file)
    seen_uids: dict[str, str] = {}
    for path in dashboard_files(root):
        problems += check_dashboard_file(path, repo_root)
        file = _relative(path, repo_root)
        try:
            uid = json.loads(path.read_text(encoding="utf-8")).get("uid")
        except (ValueError, AttributeError):
            continue
        if isinstance(uid, str):
            if uid in seen_uids:
                problems.append(Problem(file, "dashboard", f"uid {uid!r} also used by {seen_uids[uid]}"))
            seen_uids.setdefault(uid, file)
    if not rule_files(root):
        problems.append(Problem(_relative(root / "rules", repo_root), "rules", "no rule files found"))
    if not dashboard_files(root):
        problems.append(Problem(_relative(root / "dashboards", repo_root), "dashboards", "no dashboards found"))
    return problems


def main() -> int:
    problems = check_all()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) in {len(rule_files())} rule file(s) and {len(dashboard_files())} dashboard(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
