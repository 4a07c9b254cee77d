"""Strict parsing of the `observability` stack-config section into ObservabilityArgs.

Keys are camelCase, as `pulumi config set --path` takes them. An unknown key, a wrong type or a
bad value raises ConfigError naming the full key path, the value and what is allowed. Secret
values (`grafana.adminPassword`, `alertmanager.receivers[].secret`) are set with
`pulumi config set --secret --path ...`; the parser keeps them out of reprs and the component
only ever handles them as Pulumi secrets.

    observability:
      namespace: observability            # restricted workloads
      nodeNamespace: observability-node   # node agents (privileged: documented exemption)
      meshRootNamespace: istio-system
      clusterDomain: cluster.local
      storageClass: gp3
      runbookBaseUrl: https://github.com/org/repo/blob/main
      gatewayLabels: [ingressgateway, egressgateway]
      uiAccessNamespaces: [istio-ingress]
      metrics: {retention: 15d, retentionSize: 45GB, volumeSize: 50Gi}
      logs: {retention: 168h, volumeSize: 50Gi}
      traces: {retention: 72h, volumeSize: 20Gi, samplingPercent: 1.0}
      grafana: {adminUser: admin, adminPassword: <secret>, volumeSize: 5Gi}  # or adminExistingSecret
      alertmanager:
        volumeSize: 2Gi
        defaultReceiver: oncall
        groupBy: [alertname, namespace, severity]
        repeatInterval: 4h
        receivers: [{name: oncall, kind: pagerduty, secret: <secret>}]
        routes: [{receiver: oncall, matchers: ['severity="critical"'], continue: false}]
      kiali: {enabled: true, authStrategy: token, signingKeySecret: kiali-signing-key}
      chartSources: {loki: {chart: oci://registry.example.com/charts/loki}}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

from components.errors import ConfigError
from components.observability_args import (
    AlertingArgs,
    AlertReceiver,
    AlertRoute,
    ChartSource,
    KialiArgs,
    ObservabilityArgs,
)
from components.observability_charts import CHARTS

DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?"
PROM_DURATION = r"(\d+(ms|s|m|h|d|w|y))+"  # Prometheus/Loki durations (15d, 1d12h)
GO_DURATION = r"(\d+(ns|us|ms|s|m|h))+"  # Go time.Duration (Tempo: no days)
QUANTITY = r"\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?"
BYTES = r"\d+(B|KB|MB|GB|TB|PB|EB)"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
LABEL_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)"
RECEIVER_NAME = r"[A-Za-z0-9][-A-Za-z0-9_.]{0,62}"
MATCHER = rf'\s*{LABEL_NAME}\s*(=~|!~|!=|=)\s*"([^"\\]|\\.)*"\s*'
HTTPS_URL = r"https://[^\s]+"


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


class _Section:
    """One config object: unknown keys refused up front, then typed reads with key paths."""

    def __init__(self, key: str, raw: object, fields: Iterable[str]) -> None:
        self.key = key
        allowed = sorted(fields)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(key, raw, f"an object with the keys {', '.join(allowed)}",
                              f"expected an object, got {_type_name(raw)}")
        for name in raw:
            if name not in allowed:
                raise ConfigError(f"{key}.{name}", raw[name], f"the keys {', '.join(allowed)}", "unknown key")
        self.raw: Mapping[str, Any] = raw

    def path(self, name: str) -> str:
        return f"{self.key}.{name}"

    def string(self, name: str, default: str, pattern: str | None = None, allowed: str = "a string",
               choices: Iterable[str] | None = None) -> str:
        value = self.raw.get(name)
        if value is None:
            return default
        options = tuple(choices) if choices is not None else None
        if options is not None:
            allowed = "one of " + ", ".join(options)
        if not isinstance(value, str):
            raise ConfigError(self.path(name), value, allowed, f"expected a string, got {_type_name(value)}")
        if options is not None and value not in options:
            raise ConfigError(self.path(name), value, allowed, "not one of the allowed values")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise ConfigError(self.path(name), value, allowed, "not in the expected form")
        return value

    def secret(self, name: str) -> str | None:
        """A secret string: its value is never put in an error message."""
        value = self.raw.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            shown = "<secret>" if isinstance(value, str) else value
            raise ConfigError(self.path(name), shown, "a non-empty string set with `pulumi config set --secret`",
                              f"expected a string, got {_type_name(value)}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(self.path(name), value, "true or false", f"expected a boolean, got {_type_name(value)}")
        return value

    def number(self, name: str, default: float, minimum: float, maximum: float) -> float:
        value = self.raw.get(name)
        allowed = f"a number from {minimum:g} to {maximum:g}"
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(self.path(name), value, allowed, f"expected a number, got {_type_name(value)}")
        if not minimum <= value <= maximum:
            raise ConfigError(self.path(name), value, allowed, "out of range")
        return float(value)

    def strings(self, name: str, default: tuple[str, ...], pattern: str, allowed: str,
                allow_empty: bool = True) -> tuple[str, ...]:
        value = self.raw.get(name)
        if value is None:
            return default
        if not isinstance(value, list):
            raise ConfigError(self.path(name), value, f"a list of {allowed}",
                              f"expected a list, got {_type_name(value)}")
        if not value and not allow_empty:
            raise ConfigError(self.path(name), value, f"a non-empty list of {allowed}", "empty list")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not re.fullmatch(pattern, item):
                raise ConfigError(f"{self.path(name)}[{i}]", item, allowed, "not in the expected form")
        if len(set(value)) != len(value):
            raise ConfigError(self.path(name), value, f"a list of distinct {allowed}", "duplicate entries")
        return tuple(value)

    def section(self, name: str, fields: Iterable[str]) -> _Section:
        return _Section(self.path(name), self.raw.get(name), fields)

    def items(self, name: str) -> list[tuple[str, object]]:
        """The entries of a list field, each with its key path."""
        value = self.raw.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ConfigError(self.path(name), value, "a list of objects", f"expected a list, got {_type_name(value)}")
        return [(f"{self.path(name)}[{i}]", item) for i, item in enumerate(value)]


def _receivers(section: _Section) -> tuple[AlertReceiver, ...]:
    receivers = []
    for key, raw in section.items("receivers"):
        item = _Section(key, raw, ("name", "kind", "secret", "channel"))
        name = item.string("name", "", RECEIVER_NAME, "a name of letters, digits, '-', '_' or '.'")
        if not name or name == "null":
            raise ConfigError(item.path("name"), raw.get("name") if isinstance(raw, dict) else None,
                              "a receiver name other than 'null' (built in)", "missing or reserved name")
        kind = item.string("kind", "", choices=("webhook", "slack", "pagerduty"))
        if not kind:
            raise ConfigError(item.path("kind"), None, "one of webhook, slack, pagerduty", "missing required key")
        secret = item.secret("secret")
        if secret is None:
            raise ConfigError(item.path("secret"), None,
                              "the URL or routing key, set with `pulumi config set --secret --path`",
                              "missing required key")
        channel = item.string("channel", "")
        if channel and kind != "slack":
            raise ConfigError(item.path("channel"), channel, "a channel only for slack receivers", "not used")
        receivers.append(AlertReceiver(name=name, kind=cast(Any, kind), secret=secret, channel=channel))
    names = [r.name for r in receivers]
    if len(set(names)) != len(names):
        raise ConfigError(section.path("receivers"), names, "distinct receiver names", "duplicate receiver")
    return tuple(receivers)


def _routes(section: _Section) -> tuple[AlertRoute, ...]:
    routes = []
    for key, raw in section.items("routes"):
        item = _Section(key, raw, ("receiver", "matchers", "continue"))
        receiver = item.string("receiver", "")
        if not receiver:
            raise ConfigError(item.path("receiver"), None, "the name of a receiver", "missing required key")
        matchers = item.strings("matchers", (), MATCHER, 'Alertmanager matchers such as severity="critical"',
                                allow_empty=False)
        if not matchers:
            raise ConfigError(item.path("matchers"), None, "a non-empty list of matchers", "missing required key")
        routes.append(AlertRoute(receiver=receiver, matchers=matchers,
                                 continue_matching=item.boolean("continue", False)))
    return tuple(routes)


def _alerting(root: _Section) -> tuple[AlertingArgs, str]:
    section = root.section("alertmanager", ("volumeSize", "defaultReceiver", "groupBy", "repeatInterval",
                                            "receivers", "routes"))
    defaults = AlertingArgs()
    receivers = _receivers(section)
    routes = _routes(section)
    known = {"null", *(r.name for r in receivers)}
    default_receiver = section.string("defaultReceiver", defaults.default_receiver)
    if default_receiver not in known:
        raise ConfigError(section.path("defaultReceiver"), default_receiver,
                          f"one of {', '.join(sorted(known))}", "no such receiver")
    for i, route in enumerate(routes):
        if route.receiver not in known:
            raise ConfigError(f"{section.path('routes')}[{i}].receiver", route.receiver,
                              f"one of {', '.join(sorted(known))}", "no such receiver")
    alerting = AlertingArgs(
        receivers=receivers,
        routes=routes,
        default_receiver=default_receiver,
        group_by=section.strings("groupBy", defaults.group_by, rf"{LABEL_NAME}|\.\.\.", "label names"),
        repeat_interval=section.string("repeatInterval", defaults.repeat_interval, PROM_DURATION,
                                       "a duration such as 4h"),
    )
    return alerting, section.string("volumeSize", ObservabilityArgs.alertmanager_volume_size, QUANTITY,
                                    "a Kubernetes quantity such as 2Gi")


def _kiali(root: _Section) -> KialiArgs:
    section = root.section("kiali", ("enabled", "authStrategy", "openidIssuerUri", "openidClientId",
                                     "signingKeySecret"))
    if section.raw.get("authStrategy") == "anonymous":
        raise ConfigError(section.path("authStrategy"), "anonymous", "token or openid",
                          "anonymous access to the mesh topology is not allowed")
    strategy = section.string("authStrategy", "token", choices=("token", "openid"))
    kiali = KialiArgs(
        enabled=section.boolean("enabled", True),
        auth_strategy=cast(Any, strategy),
        openid_issuer_uri=section.string("openidIssuerUri", "", HTTPS_URL, "an https:// issuer URL"),
        openid_client_id=section.string("openidClientId", ""),
        signing_key_secret=section.string("signingKeySecret", "", DNS_SUBDOMAIN, "a Secret name"),
    )
    return kiali


def _chart_sources(root: _Section) -> dict[str, ChartSource]:
    raw = root.raw.get("chartSources")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(root.path("chartSources"), raw, "an object keyed by chart role",
                          f"expected an object, got {_type_name(raw)}")
    sources = {}
    for role, value in raw.items():
        key = f"{root.path('chartSources')}.{role}"
        if role not in CHARTS:
            raise ConfigError(key, value, ", ".join(sorted(CHARTS)), "unknown chart role")
        item = _Section(key, value, ("chart", "repository"))
        chart = item.string("chart", "")
        repository = item.string("repository", "", r"(https|oci)://[^\s]+", "an https:// or oci:// URL")
        if not chart and not repository:
            raise ConfigError(key, value, "chart and/or repository", "empty override")
        sources[role] = ChartSource(chart=chart or None, repository=repository or None)
    return sources


def parse_observability(raw: object, key: str = "observability") -> ObservabilityArgs:
    """The `observability` config section as ObservabilityArgs (defaults for missing keys)."""
    root = _Section(key, raw, ("namespace", "nodeNamespace", "meshRootNamespace", "clusterDomain",
                               "storageClass", "runbookBaseUrl", "gatewayLabels", "uiAccessNamespaces",
                               "metrics", "logs", "traces", "grafana", "alertmanager", "kiali",
                               "chartSources"))
    d = ObservabilityArgs()
    ns = "a Kubernetes namespace name (DNS-1123 label)"
    metrics = root.section("metrics", ("retention", "retentionSize", "volumeSize"))
    logs = root.section("logs", ("retention", "volumeSize"))
    traces = root.section("traces", ("retention", "volumeSize", "samplingPercent"))
    grafana = root.section("grafana", ("adminUser", "adminPassword", "adminExistingSecret", "volumeSize"))
    size = "a Kubernetes quantity such as 50Gi"
    alerting, alertmanager_volume = _alerting(root)
    args = ObservabilityArgs(
        namespace=root.string("namespace", d.namespace, DNS_LABEL, ns),
        node_namespace=root.string("nodeNamespace", d.node_namespace, DNS_LABEL, ns),
        mesh_root_namespace=root.string("meshRootNamespace", d.mesh_root_namespace, DNS_LABEL, ns),
        cluster_domain=root.string("clusterDomain", d.cluster_domain, DNS_SUBDOMAIN, "a DNS domain"),
        storage_class=root.string("storageClass", d.storage_class, DNS_SUBDOMAIN, "a StorageClass name"),
        runbook_base_url=root.string("runbookBaseUrl", d.runbook_base_url, HTTPS_URL, "an https:// URL"),
        gateway_labels=root.strings("gatewayLabels", d.gateway_labels, LABEL_VALUE, "label values",
                                    allow_empty=False),
        ui_access_namespaces=root.strings("uiAccessNamespaces", d.ui_access_namespaces, DNS_LABEL, ns),
        metrics_retention=metrics.string("retention", d.metrics_retention, PROM_DURATION, "a duration such as 15d"),
        metrics_retention_size=metrics.string("retentionSize", d.metrics_retention_size, BYTES,
                                              "a size such as 45GB"),
        prometheus_volume_size=metrics.string("volumeSize", d.prometheus_volume_size, QUANTITY, size),
        log_retention=logs.string("retention", d.log_retention, PROM_DURATION, "a duration such as 168h"),
        loki_volume_size=logs.string("volumeSize", d.loki_volume_size, QUANTITY, size),
        trace_retention=traces.string("retention", d.trace_retention, GO_DURATION,
                                      "a Go duration such as 72h (no days)"),
        tempo_volume_size=traces.string("volumeSize", d.tempo_volume_size, QUANTITY, size),
        tracing_sampling_percent=traces.number("samplingPercent", d.tracing_sampling_percent, 0.0, 100.0),
        grafana_admin_user=grafana.string("adminUser", d.grafana_admin_user, r"[A-Za-z0-9_.@-]{1,64}",
                                          "a user name"),
        grafana_admin_password=grafana.secret("adminPassword"),
        grafana_admin_existing_secret=grafana.string("adminExistingSecret", "", DNS_SUBDOMAIN, "a Secret name"),
        grafana_volume_size=grafana.string("volumeSize", d.grafana_volume_size, QUANTITY, size),
        alertmanager_volume_size=alertmanager_volume,
        alerting=alerting,
        kiali=_kiali(root),
        chart_sources=_chart_sources(root),
    )
    validate_args(args, key)
    return args


def validate_args(args: ObservabilityArgs, key: str = "observability") -> None:
    """Checks across fields, run by the parser and by the component (for direct callers)."""
    if args.namespace == args.node_namespace:
        raise ConfigError(f"{key}.nodeNamespace", args.node_namespace,
                          f"a namespace other than {args.namespace!r}",
                          "the node agents need their own (privileged) namespace")
    if bool(args.grafana_admin_existing_secret) == (args.grafana_admin_password is not None):
        raise ConfigError(
            f"{key}.grafana",
            "both set" if args.grafana_admin_existing_secret else "neither set",
            "exactly one of adminPassword (a Pulumi secret) or adminExistingSecret (a Secret name)",
            "Grafana admin credentials",
        )
    if not 0.0 <= args.tracing_sampling_percent <= 100.0:
        raise ConfigError(f"{key}.traces.samplingPercent", args.tracing_sampling_percent,
                          "a number from 0 to 100", "out of range")
    kiali = args.kiali
    if kiali.enabled and kiali.auth_strategy == "openid" and not (kiali.openid_issuer_uri and kiali.openid_client_id):
        raise ConfigError(f"{key}.kiali", "openid", "openidIssuerUri and openidClientId with authStrategy openid",
                          "incomplete OpenID Connect settings")
    if kiali.auth_strategy not in ("token", "openid"):
        raise ConfigError(f"{key}.kiali.authStrategy", kiali.auth_strategy, "token or openid",
                          "anonymous access to the mesh topology is not allowed")
    receivers = {r.name for r in args.alerting.receivers} | {"null"}
    for route in args.alerting.routes:
        if route.receiver not in receivers:
            raise ConfigError(f"{key}.alertmanager.routes", route.receiver, f"one of {', '.join(sorted(receivers))}",
                              "no such receiver")
    if args.alerting.default_receiver not in receivers:
        raise ConfigError(f"{key}.alertmanager.defaultReceiver", args.alerting.default_receiver,
                          f"one of {', '.join(sorted(receivers))}", "no such receiver")
    for role in args.chart_sources:
        if role not in CHARTS:
            raise ConfigError(f"{key}.chartSources.{role}", role, ", ".join(sorted(CHARTS)), "unknown chart role")
