"""Strict parsing of the `observability` stack-config section."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from components.errors import ConfigError
from components.observability_args import ObservabilityArgs
from components.observability_config import parse_observability

MINIMAL = {"grafana": {"adminExistingSecret": "grafana-admin"}}


def parse(raw: Any) -> ObservabilityArgs:
    return parse_observability(raw)


def error(raw: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(raw)
    return info.value


def with_(**sections: Any) -> dict[str, Any]:
    return {**MINIMAL, **sections}


def test_minimal_section_gives_the_secure_defaults() -> None:
    args = parse(MINIMAL)
    assert args == ObservabilityArgs(grafana_admin_existing_secret="grafana-admin")
    assert args.kiali.auth_strategy == "token"
    assert args.alerting.default_receiver == "null"


def test_full_section_is_parsed() -> None:
    raw = {
        "namespace": "monitoring",
        "nodeNamespace": "monitoring-node",
        "meshRootNamespace": "istio-system",
        "clusterDomain": "corp.local",
        "storageClass": "gp3-encrypted",
        "runbookBaseUrl": "https://git.example.com/platform/blob/main",
        "gatewayLabels": ["ingressgateway"],
        "uiAccessNamespaces": ["istio-ingress", "admin-gateway"],
        "metrics": {"retention": "30d", "retentionSize": "90GB", "volumeSize": "100Gi"},
        "logs": {"retention": "720h", "volumeSize": "200Gi"},
        "traces": {"retention": "48h", "volumeSize": "10Gi", "samplingPercent": 10},
        "grafana": {"adminUser": "platform-admin", "adminPassword": "s3cret", "volumeSize": "1Gi"},
        "alertmanager": {
            "volumeSize": "1Gi",
            "defaultReceiver": "team",
            "groupBy": ["alertname", "..."],
            "repeatInterval": "12h",
            "receivers": [
                {"name": "team", "kind": "slack", "secret": "https://hooks.slack.com/x", "channel": "#platform"},
                {"name": "oncall", "kind": "pagerduty", "secret": "key"},
            ],
            "routes": [{"receiver": "oncall", "matchers": ['severity="critical"'], "continue": True}],
        },
        "kiali": {"authStrategy": "openid", "openidIssuerUri": "https://login.example.com", "openidClientId": "kiali",
                  "signingKeySecret": "kiali-signing-key"},
        "chartSources": {"loki": {"chart": "oci://registry.internal/charts/loki"},
                         "tempo": {"repository": "https://mirror.internal/charts"}},
    }
    args = parse(raw)
    assert (args.namespace, args.node_namespace, args.cluster_domain) == ("monitoring", "monitoring-node", "corp.local")
    metrics = (args.metrics_retention, args.metrics_retention_size, args.prometheus_volume_size)
    assert metrics == ("30d", "90GB", "100Gi")
    assert (args.log_retention, args.trace_retention, args.tracing_sampling_percent) == ("720h", "48h", 10.0)
    assert args.grafana_admin_password == "s3cret"
    assert args.alertmanager_volume_size == "1Gi"
    assert [(r.name, r.kind, r.channel) for r in args.alerting.receivers] == [
        ("team", "slack", "#platform"), ("oncall", "pagerduty", "")]
    assert args.alerting.routes[0].continue_matching is True
    assert args.alerting.group_by == ("alertname", "...")
    assert (args.kiali.auth_strategy, args.kiali.signing_key_secret) == ("openid", "kiali-signing-key")
    assert args.chart_sources["loki"].chart == "oci://registry.internal/charts/loki"
    assert args.chart_sources["tempo"].repository == "https://mirror.internal/charts"
    assert args.gateway_labels == ("ingressgateway",)


def test_secrets_stay_out_of_reprs_and_messages() -> None:
    args = parse(with_(alertmanager={"receivers": [{"name": "a", "kind": "webhook", "secret": "https://x/SECRET"}]}))
    assert "SECRET" not in repr(args)
    err = error({"grafana": {"adminPassword": ""}})
    assert err.key == "observability.grafana.adminPassword" and err.value == "<secret>"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({**MINIMAL, "retention": "15d"}, "observability.retention"),
        (with_(metrics={"retension": "15d"}), "observability.metrics.retension"),
        (with_(alertmanager={"receivers": [{"name": "a", "kind": "webhook", "secret": "x", "url": "y"}]}),
         "observability.alertmanager.receivers[0].url"),
        (with_(chartSources={"grafana": {"chart": "x"}}), "observability.chartSources.grafana"),
        (with_(chartSources={"loki": {"version": "1.0.0"}}), "observability.chartSources.loki.version"),
    ],
)
def test_unknown_keys_are_refused_with_their_path(raw: Any, key: str) -> None:
    err = error(raw)
    assert err.key == key
    assert "unknown" in err.problem


@pytest.mark.parametrize(
    ("raw", "key", "value"),
    [
        ("observability", "observability", "observability"),
        (with_(namespace=5), "observability.namespace", 5),
        (with_(namespace="Observability"), "observability.namespace", "Observability"),
        (with_(metrics={"retention": "15 days"}), "observability.metrics.retention", "15 days"),
        (with_(metrics={"volumeSize": 50}), "observability.metrics.volumeSize", 50),
        (with_(metrics={"retentionSize": "45Gi"}), "observability.metrics.retentionSize", "45Gi"),
        (with_(traces={"retention": "3d"}), "observability.traces.retention", "3d"),
        (with_(traces={"samplingPercent": 101}), "observability.traces.samplingPercent", 101),
        (with_(traces={"samplingPercent": True}), "observability.traces.samplingPercent", True),
        (with_(traces={"samplingPercent": "1"}), "observability.traces.samplingPercent", "1"),
        (with_(kiali={"enabled": "yes"}), "observability.kiali.enabled", "yes"),
        (with_(gatewayLabels=[]), "observability.gatewayLabels", []),
        (with_(gatewayLabels="ingressgateway"), "observability.gatewayLabels", "ingressgateway"),
        (with_(uiAccessNamespaces=["ok", "Not_OK"]), "observability.uiAccessNamespaces[1]", "Not_OK"),
        (with_(runbookBaseUrl="http://git.example.com"), "observability.runbookBaseUrl", "http://git.example.com"),
        (with_(chartSources={"loki": {"repository": "http://insecure.example.com"}}),
         "observability.chartSources.loki.repository", "http://insecure.example.com"),
        (with_(metrics=[]), "observability.metrics", []),
        (with_(nodeCidrs=["0.0.0.0/0"]), "observability.nodeCidrs[0]", "0.0.0.0/0"),
        (with_(nodeCidrs=["10.0.0.1/16"]), "observability.nodeCidrs[0]", "10.0.0.1/16"),
        (with_(nodeCidrs="10.0.0.0/16"), "observability.nodeCidrs", "10.0.0.0/16"),
        (with_(apiServerPort=0), "observability.apiServerPort", 0),
        (with_(apiServerPort="443"), "observability.apiServerPort", "443"),
    ],
)
def test_wrong_types_and_bad_values_name_key_and_value(raw: Any, key: str, value: Any) -> None:
    err = error(raw)
    assert (err.key, err.value) == (key, value)
    assert err.allowed
    assert f"key '{key}'" in str(err)


@pytest.mark.parametrize("block", ["0.0.0.0/1", "128.0.0.0/1", "8.8.0.0/16", "169.254.0.0/16", "169.0.0.0/8",
                                   "169.254.169.254/32", "2001:db8::/32", "fe80::/64", "::ffff:0:0/96",
                                   "::ffff:169.254.169.254/128", "::/1", "fd00:ec2::/64", "fd00:ec2::254/128"])
def test_node_cidrs_refuse_the_internet_and_the_metadata_service(block: str) -> None:
    err = error(with_(nodeCidrs=["10.0.0.0/16", block]))
    assert (err.key, err.value) == ("observability.nodeCidrs[1]", str(ipaddress.ip_network(block)))  # normalised
    assert "never link-local" in err.allowed


def test_node_cidrs_take_private_ranges_and_a_narrow_public_endpoint() -> None:
    blocks = ["10.0.0.0/8", "172.18.0.0/16", "100.64.0.0/10", "fd00::/64", "34.120.7.9/32", "203.0.113.0/24"]
    assert parse(with_(nodeCidrs=blocks)).node_cidrs == tuple(blocks)


def test_node_cidrs_and_api_server_port_are_parsed() -> None:
    args = parse(with_(nodeCidrs=["172.18.0.0/16", "fd00::/64"], apiServerPort=6443))
    assert (args.node_cidrs, args.api_server_port) == (("172.18.0.0/16", "fd00::/64"), 6443)
    assert (parse(MINIMAL).node_cidrs, parse(MINIMAL).api_server_port) == ((), 443)


def test_grafana_credentials_are_required_exactly_once() -> None:
    assert error({}).key == "observability.grafana"
    both = error({"grafana": {"adminPassword": "x", "adminExistingSecret": "grafana-admin"}})
    assert (both.key, both.value) == ("observability.grafana", "both set")
    assert "exactly one of adminPassword" in both.allowed


def test_anonymous_kiali_is_refused() -> None:
    err = error(with_(kiali={"authStrategy": "anonymous"}))
    assert err.key == "observability.kiali.authStrategy"
    assert "not allowed" in err.problem


def test_openid_kiali_needs_issuer_and_client() -> None:
    err = error(with_(kiali={"authStrategy": "openid", "openidClientId": "kiali"}))
    assert err.key == "observability.kiali"
    assert "openidIssuerUri" in err.allowed


def test_receivers_are_validated() -> None:
    base = {"name": "team", "kind": "webhook", "secret": "https://x"}
    cases = [
        ({**base, "kind": "email"}, "observability.alertmanager.receivers[0].kind"),
        ({**base, "name": "null"}, "observability.alertmanager.receivers[0].name"),
        ({**base, "name": "bad name"}, "observability.alertmanager.receivers[0].name"),
        ({k: v for k, v in base.items() if k != "secret"}, "observability.alertmanager.receivers[0].secret"),
        ({**base, "channel": "#x"}, "observability.alertmanager.receivers[0].channel"),
    ]
    for receiver, key in cases:
        assert error(with_(alertmanager={"receivers": [receiver]})).key == key
    assert error(with_(alertmanager={"receivers": [base, base]})).problem == "duplicate receiver"


def test_routes_must_name_known_receivers_and_valid_matchers() -> None:
    receivers = [{"name": "team", "kind": "webhook", "secret": "https://x"}]
    unknown = error(with_(alertmanager={"receivers": receivers,
                                        "routes": [{"receiver": "oncall", "matchers": ['severity="critical"']}]}))
    assert (unknown.key, unknown.value) == ("observability.alertmanager.routes[0].receiver", "oncall")
    bad = error(with_(alertmanager={"receivers": receivers,
                                    "routes": [{"receiver": "team", "matchers": ["severity=critical"]}]}))
    assert bad.key == "observability.alertmanager.routes[0].matchers[0]"
    default = error(with_(alertmanager={"defaultReceiver": "team"}))
    assert (default.key, default.value) == ("observability.alertmanager.defaultReceiver", "team")


def test_node_namespace_must_differ() -> None:
    err = error(with_(namespace="observability", nodeNamespace="observability"))
    assert err.key == "observability.nodeNamespace"


def test_key_prefix_is_configurable() -> None:
    assert error({"bogus": 1}).key == "observability.bogus"
    with pytest.raises(ConfigError) as info:
        parse_observability({"bogus": 1}, key="platform.observability")
    assert info.value.key == "platform.observability.bogus"


def test_null_section_means_defaults_but_credentials_still_required() -> None:
    assert error(None).key == "observability.grafana"
