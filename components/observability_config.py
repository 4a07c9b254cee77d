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
      nodeCidrs: [10.0.0.0/16]            # nodes and API endpoints (managed cluster: the VPC CIDR)
      apiServerPort: 443                  # the API endpoints' port (kubeadm and kind: 6443)
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

import ipaddress
from typing import Any, cast

from components.config_fields import ObjectReader, cidr, cidrs, type_name
from components.errors import ConfigError
from components.network_policy import PRIVATE_RANGES
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


def _receivers(section: ObjectReader) -> tuple[AlertReceiver, ...]:
    receivers = []
    for key, raw in section.items("receivers", [], allowed="a list of objects"):
        item = ObjectReader.nullable(key, raw, ("name", "kind", "secret", "channel"))
        name = item.string_or("name", "", pattern=RECEIVER_NAME, allowed="a name of letters, digits, '-', '_' or '.'")
        if not name or name == "null":
            raise ConfigError(item.path("name"), raw.get("name") if isinstance(raw, dict) else None,
                              "a receiver name other than 'null' (built in)", "missing or reserved name")
        kind = item.string_or("kind", "", choices=("webhook", "slack", "pagerduty"))
        if not kind:
            raise ConfigError(item.path("kind"), None, "one of webhook, slack, pagerduty", "missing required key")
        secret = item.secret("secret")
        if secret is None:
            raise ConfigError(item.path("secret"), None,
                              "the URL or routing key, set with `pulumi config set --secret --path`",
                              "missing required key")
        channel = item.string_or("channel", "")
        if channel and kind != "slack":
            raise ConfigError(item.path("channel"), channel, "a channel only for slack receivers", "not used")
        receivers.append(AlertReceiver(name=name, kind=cast(Any, kind), secret=secret, channel=channel))
    names = [r.name for r in receivers]
    if len(set(names)) != len(names):
        raise ConfigError(section.path("receivers"), names, "distinct receiver names", "duplicate receiver")
    return tuple(receivers)


def _routes(section: ObjectReader) -> tuple[AlertRoute, ...]:
    routes = []
    for key, raw in section.items("routes", [], allowed="a list of objects"):
        item = ObjectReader.nullable(key, raw, ("receiver", "matchers", "continue"))
        receiver = item.string_or("receiver", "")
        if not receiver:
            raise ConfigError(item.path("receiver"), None, "the name of a receiver", "missing required key")
        matchers = item.strings("matchers", min_items=1, pattern=MATCHER,
                                allowed='a non-empty list of Alertmanager matchers such as severity="critical"')
        routes.append(AlertRoute(receiver=receiver, matchers=matchers,
                                 continue_matching=item.boolean("continue", False)))
    return tuple(routes)


def _alerting(root: ObjectReader) -> tuple[AlertingArgs, str]:
    section = root.object("alertmanager", ("volumeSize", "defaultReceiver", "groupBy", "repeatInterval",
                                           "receivers", "routes"))
    defaults = AlertingArgs()
    receivers = _receivers(section)
    routes = _routes(section)
    known = {"null", *(r.name for r in receivers)}
    default_receiver = section.string_or("defaultReceiver", defaults.default_receiver)
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
        group_by=section.strings("groupBy", defaults.group_by, pattern=rf"{LABEL_NAME}|\.\.\.",
                                 allowed="a list of label names"),
        repeat_interval=section.string_or("repeatInterval", defaults.repeat_interval, pattern=PROM_DURATION,
                                          allowed="a duration such as 4h"),
    )
    return alerting, section.string_or("volumeSize", ObservabilityArgs.alertmanager_volume_size, pattern=QUANTITY,
                                       allowed="a Kubernetes quantity such as 2Gi")


def _kiali(root: ObjectReader) -> KialiArgs:
    section = root.object("kiali", ("enabled", "authStrategy", "openidIssuerUri", "openidClientId",
                                    "signingKeySecret"))
    if section.raw.get("authStrategy") == "anonymous":
        raise ConfigError(section.path("authStrategy"), "anonymous", "token or openid",
                          "anonymous access to the mesh topology is not allowed")
    strategy = section.string_or("authStrategy", "token", choices=("token", "openid"))
    kiali = KialiArgs(
        enabled=section.boolean("enabled", True),
        auth_strategy=cast(Any, strategy),
        openid_issuer_uri=section.string_or("openidIssuerUri", "", pattern=HTTPS_URL, allowed="an https:// issuer URL"),
        openid_client_id=section.string_or("openidClientId", ""),
        signing_key_secret=section.string_or("signingKeySecret", "", pattern=DNS_SUBDOMAIN, allowed="a Secret name"),
    )
    return kiali


def _chart_sources(root: ObjectReader) -> dict[str, ChartSource]:
    raw = root.value("chartSources", {})
    if not isinstance(raw, dict):
        raise ConfigError(root.path("chartSources"), raw, "an object keyed by chart role",
                          f"expected an object, got {type_name(raw)}")
    sources = {}
    for role, value in raw.items():
        key = f"{root.path('chartSources')}.{role}"
        if role not in CHARTS:
            raise ConfigError(key, value, ", ".join(sorted(CHARTS)), "unknown chart role")
        item = ObjectReader.nullable(key, value, ("chart", "repository"))
        chart = item.string_or("chart", "")
        repository = item.string_or("repository", "", pattern=r"(https|oci)://[^\s]+",
                                    allowed="an https:// or oci:// URL")
        if not chart and not repository:
            raise ConfigError(key, value, "chart and/or repository", "empty override")
        sources[role] = ChartSource(chart=chart or None, repository=repository or None)
    return sources


def parse_observability(raw: object, key: str = "observability") -> ObservabilityArgs:
    """The `observability` config section as ObservabilityArgs (defaults for missing keys)."""
    root = ObjectReader.nullable(key, raw, ("namespace", "nodeNamespace", "meshRootNamespace", "clusterDomain",
                                            "storageClass", "runbookBaseUrl", "gatewayLabels",
                                            "uiAccessNamespaces", "nodeCidrs", "apiServerPort", "metrics",
                                            "logs", "traces", "grafana", "alertmanager", "kiali",
                                            "chartSources"))
    d = ObservabilityArgs()
    ns = "a Kubernetes namespace name (DNS-1123 label)"
    metrics = root.object("metrics", ("retention", "retentionSize", "volumeSize"))
    logs = root.object("logs", ("retention", "volumeSize"))
    traces = root.object("traces", ("retention", "volumeSize", "samplingPercent"))
    grafana = root.object("grafana", ("adminUser", "adminPassword", "adminExistingSecret", "volumeSize"))
    size = "a Kubernetes quantity such as 50Gi"
    alerting, alertmanager_volume = _alerting(root)
    args = ObservabilityArgs(
        namespace=root.string_or("namespace", d.namespace, pattern=DNS_LABEL, allowed=ns),
        node_namespace=root.string_or("nodeNamespace", d.node_namespace, pattern=DNS_LABEL, allowed=ns),
        mesh_root_namespace=root.string_or("meshRootNamespace", d.mesh_root_namespace, pattern=DNS_LABEL, allowed=ns),
        cluster_domain=root.string_or("clusterDomain", d.cluster_domain, pattern=DNS_SUBDOMAIN, allowed="a DNS domain"),
        storage_class=root.string_or("storageClass", d.storage_class, pattern=DNS_SUBDOMAIN,
                                     allowed="a StorageClass name"),
        runbook_base_url=root.string_or("runbookBaseUrl", d.runbook_base_url, pattern=HTTPS_URL,
                                        allowed="an https:// URL"),
        gateway_labels=root.strings("gatewayLabels", d.gateway_labels, min_items=1, pattern=LABEL_VALUE,
                                    allowed="a list of label values"),
        ui_access_namespaces=root.strings("uiAccessNamespaces", d.ui_access_namespaces, pattern=DNS_LABEL,
                                          allowed="a list of Kubernetes namespace names (DNS-1123 labels)"),
        node_cidrs=cidrs(root, "nodeCidrs", allow_world=False),
        api_server_port=root.integer("apiServerPort", d.api_server_port, minimum=1, maximum=65535),
        metrics_retention=metrics.string_or("retention", d.metrics_retention, pattern=PROM_DURATION,
                                            allowed="a duration such as 15d"),
        metrics_retention_size=metrics.string_or("retentionSize", d.metrics_retention_size, pattern=BYTES,
                                                 allowed="a size such as 45GB"),
        prometheus_volume_size=metrics.string_or("volumeSize", d.prometheus_volume_size, pattern=QUANTITY,
                                                 allowed=size),
        log_retention=logs.string_or("retention", d.log_retention, pattern=PROM_DURATION,
                                     allowed="a duration such as 168h"),
        loki_volume_size=logs.string_or("volumeSize", d.loki_volume_size, pattern=QUANTITY, allowed=size),
        trace_retention=traces.string_or("retention", d.trace_retention, pattern=GO_DURATION,
                                         allowed="a Go duration such as 72h (no days)"),
        tempo_volume_size=traces.string_or("volumeSize", d.tempo_volume_size, pattern=QUANTITY, allowed=size),
        tracing_sampling_percent=traces.number("samplingPercent", d.tracing_sampling_percent,
                                               minimum=0.0, maximum=100.0),
        grafana_admin_user=grafana.string_or("adminUser", d.grafana_admin_user, pattern=r"[A-Za-z0-9_.@-]{1,64}",
                                             allowed="a user name"),
        grafana_admin_password=grafana.secret("adminPassword"),
        grafana_admin_existing_secret=grafana.string_or("adminExistingSecret", "", pattern=DNS_SUBDOMAIN,
                                                        allowed="a Secret name"),
        grafana_volume_size=grafana.string_or("volumeSize", d.grafana_volume_size, pattern=QUANTITY, allowed=size),
        alertmanager_volume_size=alertmanager_volume,
        alerting=alerting,
        kiali=_kiali(root),
        chart_sources=_chart_sources(root),
    )
    validate_args(args, key)
    return args


# nodeCidrs: private ranges of any size; a public block only as narrow as an API endpoint's.
_PRIVATE = tuple(ipaddress.ip_network(c) for c in (*PRIVATE_RANGES, "fc00::/7"))
# IPv4-mapped IPv6, which a NetworkPolicy implementation may match against IPv4 addresses.
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_NARROWEST_PUBLIC = {4: 24, 6: 64}
NODE_CIDRS_ALLOWED = ("CIDR blocks of the nodes and the API server's endpoints: private ranges (RFC 1918, "
                      "RFC 6598, fc00::/7) of any size, public blocks of at most /24 (IPv6 /64), never "
                      "link-local, the metadata service or IPv4-mapped IPv6")


def _check_node_cidr(key: str, block: str) -> None:
    """The monitoring namespace's egress reaches these blocks: keep them to where nodes are."""
    network = cidr(key, block, allow_world=False, allow_link_local=False)
    if network.version == 6 and network.overlaps(_MAPPED):
        raise ConfigError(key, block, NODE_CIDRS_ALLOWED,
                          "overlaps IPv4-mapped IPv6 (::ffff:0:0/96); give the IPv4 block itself")
    private = any(network.subnet_of(n) for n in _PRIVATE if n.version == network.version)  # type: ignore[arg-type]
    if not private and network.prefixlen < _NARROWEST_PUBLIC[network.version]:
        raise ConfigError(key, block, NODE_CIDRS_ALLOWED,
                          f"a public block wider than /{_NARROWEST_PUBLIC[network.version]} would open the "
                          "monitoring stack's egress to the internet")


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
    for i, block in enumerate(args.node_cidrs):
        _check_node_cidr(f"{key}.nodeCidrs[{i}]", block)
    if not 1 <= args.api_server_port <= 65535:
        raise ConfigError(f"{key}.apiServerPort", args.api_server_port, "an integer >= 1 and <= 65535",
                          "out of range")
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
