"""grafana-admin-credentials-from-secret: Grafana's admin password never sits in chart values.

kube-prometheus-stack ships the published default `prom-operator` as Grafana's admin password,
and any `adminPassword` in chart values is stored in the Pulumi state and rendered into a
Secret by the chart. The admin credentials must come from an existing Secret
(`admin.existingSecret`), created from a Pulumi secret or by a secrets manager.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from .meta import Config, ObsResourcePolicy
from .util import CHART_TYPES, chart_of, get

# chart name -> path of Grafana's values inside the chart's values
GRAFANA_VALUES_PATH: Mapping[str, tuple[str, ...]] = {
    "grafana": (),
    "kube-prometheus-stack": ("grafana",),
}


def check(args: ResourceValidationArgs, cfg: Config) -> Iterator[str]:
    chart = chart_of(args.resource_type, args.props)
    if chart is None or chart not in GRAFANA_VALUES_PATH:
        return
    path = GRAFANA_VALUES_PATH[chart]
    values: Any = args.props.get("values") or {}
    grafana = get(values, *path) if path else values
    prefix = "".join(f"{p}." for p in path)
    if path and get(grafana, "enabled") is False:
        return
    if get(grafana, "adminPassword") not in (None, ""):
        yield (
            f"Chart {chart}: values.{prefix}adminPassword is set: the password is stored in the Pulumi state "
            f"and in the chart's rendered Secret. Remove it and set values.{prefix}admin.existingSecret."
        )
    existing = get(grafana, "admin", "existingSecret")
    if not isinstance(existing, str) or not existing:
        default = " (kube-prometheus-stack's default is the published 'prom-operator')" if chart != "grafana" else ""
        yield (
            f"Chart {chart}: values.{prefix}admin.existingSecret is not set, so Grafana's admin password comes "
            f"from chart values{default}. Point it at a Secret with admin-user and admin-password keys."
        )


POLICIES = [
    ObsResourcePolicy(
        name="grafana-admin-credentials-from-secret",
        description=(
            "Grafana (its own chart or inside kube-prometheus-stack) reads its admin credentials from an existing "
            "Secret (admin.existingSecret), never from a password in chart values."
        ),
        resource_types=CHART_TYPES,
        check=check,
        severity=Severity.CRITICAL,
        nist=("IA-5", "SC-28"),
        sp800204=("C-4.8-1", "C-4.6-2"),
        remediation=(
            "Set grafana.admin.existingSecret (kube-prometheus-stack) or admin.existingSecret (grafana chart) to a "
            "Secret created from a Pulumi secret (the Observability component does this from "
            "observability.grafana.adminPassword) and remove adminPassword from the values."
        ),
        topics=("grafana", "secrets"),
    )
]
