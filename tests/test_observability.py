"""The Observability component under Pulumi mocks: the real wiring between what it deploys."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from components.errors import ConfigError
from components.observability import Observability
from components.observability_args import (
    AlertingArgs,
    AlertReceiver,
    AlertRoute,
    ChartSource,
    ObservabilityArgs,
    tracing_provider,
)
from components.observability_assets import ASSETS_DIR, dashboard_files, rule_files
from components.observability_charts import CHARTS
from components.observability_checks import PROVISIONED_DATASOURCES
from tests.obs_mocks import Recorded, Run, is_secret, plaintext_strings, run

PASSWORD = "correct-horse-battery-staple"
WEBHOOK = "https://hooks.example.com/services/T000/B000/XXXXSECRET"
ROUTING_KEY = "pd-routing-key-0123456789"
CHART = "kubernetes:helm.sh/v4:Chart"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
OUTPUTS = {
    "tracing_service": lambda c: c.tracing_service,
    "prometheus_url": lambda c: c.prometheus_url,
    "loki_url": lambda c: c.loki_url,
    "tempo_url": lambda c: c.tempo_url,
    "grafana_url": lambda c: c.grafana_url,
    "namespace": lambda c: c.namespace,
    "node_namespace": lambda c: c.node_namespace,
}


def secure_args(**changes: Any) -> ObservabilityArgs:
    base = ObservabilityArgs(
        grafana_admin_password=PASSWORD,
        alerting=AlertingArgs(
            receivers=(
                AlertReceiver("team-webhook", "webhook", WEBHOOK),
                AlertReceiver("oncall", "pagerduty", ROUTING_KEY),
            ),
            routes=(AlertRoute("oncall", ('severity="critical"',)),),
            default_receiver="team-webhook",
        ),
        runbook_base_url="https://git.example.com/platform/blob/main",
    )
    return dataclasses.replace(base, **changes)


def build(args: ObservabilityArgs) -> Run:
    return run(lambda: Observability("obs", args), OUTPUTS)


@pytest.fixture(scope="module")
def deployed() -> Run:
    return build(secure_args())


def chart_values(r: Run, role: str) -> dict[str, Any]:
    values = r.one(CHART, f"-{role}").inputs["values"]
    assert isinstance(values, dict)
    return values


def get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj[part]
    return obj


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


# --- tracing: the mesh's provider address is the collector Service the component deploys ---


def test_tracing_output_is_the_collector_services_otlp_address(deployed: Run) -> None:
    otel = deployed.one(CHART, "-opentelemetry-collector").inputs
    values = otel["values"]
    assert values["mode"] == "deployment"
    assert values["ports"]["otlp"]["enabled"] is True
    # The chart names its Service after fullnameOverride, in the release namespace.
    service_host = f"{values['fullnameOverride']}.{otel['namespace']}.svc.cluster.local"
    address = f"{service_host}:{int(values['ports']['otlp']['servicePort'])}"  # the engine sends numbers as floats
    assert deployed.outputs["tracing_service"] == address == "otel-collector.observability.svc.cluster.local:4317"
    provider = deployed.component.tracing_provider
    assert (provider.service, provider.port) == (service_host, values["ports"]["otlp"]["servicePort"])
    # The collector listens on the port the Service exposes.
    grpc = values["config"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert grpc.endswith(f":{int(values['ports']['otlp']['containerPort'])}")


def test_tracing_hook_fields_match_the_mesh_tracing_args() -> None:
    args = secure_args(namespace="telemetry", cluster_domain="corp.local", tracing_sampling_percent=5.0)
    provider = tracing_provider(args)
    # ServiceMesh's TracingArgs(service, port, sampling_percent, provider_name=...) takes these by name.
    assert dataclasses.asdict(provider) == {
        "service": "otel-collector.telemetry.svc.corp.local",
        "port": 4317,
        "sampling_percent": 5.0,
    }
    r = build(args)
    assert r.outputs["tracing_service"] == provider.address
    assert r.one(CHART, "-opentelemetry-collector").inputs["namespace"] == "telemetry"


def test_collector_exports_to_the_tempo_service_it_deploys(deployed: Run) -> None:
    otel = chart_values(deployed, "opentelemetry-collector")
    tempo = deployed.one(CHART, "-tempo").inputs
    tempo_port = tempo["values"]["tempo"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].rsplit(":", 1)[1]
    [exporter] = otel["config"]["service"]["pipelines"]["traces"]["exporters"]
    endpoint = otel["config"]["exporters"][exporter]["endpoint"]
    assert endpoint == f"{tempo['values']['fullnameOverride']}.{tempo['namespace']}.svc.cluster.local:{tempo_port}"
    assert otel["config"]["service"]["pipelines"]["traces"]["receivers"] == ["otlp"]
    assert deployed.outputs["tempo_url"] == "http://tempo.observability.svc.cluster.local:3200"


# --- metrics: monitors select the Istio components' labels and are picked up by Prometheus ---

ISTIOD_SERVICE = {"app": "istiod", "istio": "pilot", "istio.io/rev": "1-30"}
APP_POD = {"app": "frontend", "security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": "frontend"}
UNINJECTED_POD = {"app": "batch"}


def gateway_pod(release: str) -> dict[str, str]:
    # The Istio gateway chart: app=<release>, istio=<release without the istio- prefix>.
    return {"app": release, "istio": release.removeprefix("istio-"), "security.istio.io/tlsMode": "istio"}


def test_istiod_service_monitor_selects_istiod(deployed: Run) -> None:
    spec = deployed.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "-istiod").inputs["spec"]
    assert selects(spec["selector"], ISTIOD_SERVICE)
    assert not selects(spec["selector"], {"app": "frontend"})
    assert spec["namespaceSelector"] == {"matchNames": ["istio-system"]}
    assert [e["port"] for e in spec["endpoints"]] == ["http-monitoring"]
    assert spec["jobLabel"] == "app"  # job="istiod", as the rules and dashboards query


def test_sidecar_pod_monitor_selects_injected_pods_only(deployed: Run) -> None:
    spec = deployed.one("kubernetes:monitoring.coreos.com/v1:PodMonitor", "-istio-sidecars").inputs["spec"]
    assert selects(spec["selector"], APP_POD)
    assert not selects(spec["selector"], UNINJECTED_POD)
    assert not selects(spec["selector"], gateway_pod("istio-ingressgateway"))
    assert spec["namespaceSelector"] == {"any": True}
    envoy, agent = spec["podMetricsEndpoints"]
    assert (envoy["port"], envoy["path"]) == ("http-envoy-prom", "/stats/prometheus")
    assert agent["relabelings"][-1]["replacement"] == "$1:15020"
    assert agent["metricRelabelings"] == [{"action": "keep", "sourceLabels": ["__name__"], "regex": "istio_agent_.*"}]


def test_gateway_pod_monitor_selects_the_gateway_charts_pods(deployed: Run) -> None:
    spec = deployed.one("kubernetes:monitoring.coreos.com/v1:PodMonitor", "-istio-gateways").inputs["spec"]
    for release in ("istio-ingressgateway", "istio-egressgateway"):
        assert selects(spec["selector"], gateway_pod(release))
    assert not selects(spec["selector"], APP_POD)
    assert [(e["port"], e["path"]) for e in spec["podMetricsEndpoints"]] == [("http-envoy-prom", "/stats/prometheus")]


def test_monitors_and_rules_carry_the_label_prometheus_selects(deployed: Run) -> None:
    kps = deployed.one(CHART, "-kube-prometheus-stack").inputs
    spec = kps["values"]["prometheus"]["prometheusSpec"]
    # With NilUsesHelmValues, the chart selects `release: <its release name>`.
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is True
    assert spec["podMonitorSelectorNilUsesHelmValues"] is True
    assert spec["ruleSelectorNilUsesHelmValues"] is True
    kinds = ("ServiceMonitor", "PodMonitor", "PrometheusRule")
    custom = [r for r in deployed.records if r.type.rsplit(":", 1)[-1] in kinds]
    assert len(custom) == 3 + len(rule_files())
    for r in custom:
        assert r.metadata["labels"]["release"] == kps["name"] == "kube-prometheus-stack"
        assert r.metadata["namespace"] == "observability"
    # Self-monitoring of the log and trace pipelines uses the same label.
    assert chart_values(deployed, "loki")["monitoring"]["serviceMonitor"]["labels"] == {"release": kps["name"]}
    assert chart_values(deployed, "tempo")["serviceMonitor"]["additionalLabels"] == {"release": kps["name"]}
    otel = chart_values(deployed, "opentelemetry-collector")
    assert otel["serviceMonitor"]["extraLabels"] == {"release": kps["name"]}
    assert chart_values(deployed, "alloy")["serviceMonitor"]["additionalLabels"] == {"release": kps["name"]}


def test_node_and_cluster_metrics_are_on_with_retention_and_volumes(deployed: Run) -> None:
    values = chart_values(deployed, "kube-prometheus-stack")
    assert values["nodeExporter"]["enabled"] is True
    assert values["kubeStateMetrics"]["enabled"] is True
    assert values["kubelet"]["enabled"] is True
    spec = values["prometheus"]["prometheusSpec"]
    assert (spec["retention"], spec["retentionSize"]) == ("15d", "45GB")
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "50Gi"
    assert "storageClassName" not in claim  # the cluster default unless configured
    r = build(secure_args(storage_class="gp3-encrypted", metrics_retention="30d", prometheus_volume_size="200Gi"))
    spec = chart_values(r, "kube-prometheus-stack")["prometheus"]["prometheusSpec"]
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert (spec["retention"], claim["storageClassName"], claim["resources"]["requests"]["storage"]) == (
        "30d", "gp3-encrypted", "200Gi")
    assert chart_values(r, "loki")["singleBinary"]["persistence"]["storageClass"] == "gp3-encrypted"
    assert chart_values(r, "tempo")["persistence"]["storageClassName"] == "gp3-encrypted"


# --- dashboards: ConfigMaps carry the label Grafana's sidecar watches ---


def test_dashboard_configmaps_carry_the_sidecars_label(deployed: Run) -> None:
    sidecar = chart_values(deployed, "kube-prometheus-stack")["grafana"]["sidecar"]["dashboards"]
    assert sidecar["enabled"] is True
    configmaps = [r for r in deployed.of_type(CONFIGMAP) if r.name.startswith("obs-dashboard-")]
    assert len(configmaps) == len(dashboard_files()) == 4
    for cm in configmaps:
        assert cm.metadata["labels"][sidecar["label"]] == sidecar["labelValue"]
        assert cm.metadata["namespace"] == sidecar["searchNamespace"]
    shipped = {p.name: json.loads(p.read_text()) for p in dashboard_files()}
    provisioned = {k: json.loads(v) for cm in configmaps for k, v in cm.inputs["data"].items()}
    assert provisioned == shipped


def test_grafana_provisions_exactly_the_datasource_uids_the_checks_accept(deployed: Run) -> None:
    grafana = chart_values(deployed, "kube-prometheus-stack")["grafana"]
    provisioned = {ds["uid"]: ds["type"] for ds in grafana["additionalDataSources"]}
    provisioned[grafana["sidecar"]["datasources"]["uid"]] = "prometheus"
    provisioned[grafana["sidecar"]["datasources"]["alertmanager"]["uid"]] = "alertmanager"
    assert provisioned == dict(PROVISIONED_DATASOURCES)
    urls = {ds["uid"]: ds["url"] for ds in grafana["additionalDataSources"]}
    assert urls == {"loki": deployed.outputs["loki_url"], "tempo": deployed.outputs["tempo_url"]}
    assert grafana["sidecar"]["datasources"]["url"] == deployed.outputs["prometheus_url"]


# --- secrets: the Grafana password and receiver keys never travel in plaintext ---


def test_grafana_password_is_never_plaintext_in_any_input(deployed: Run) -> None:
    for record in deployed.records:
        assert not any(PASSWORD in s for s in plaintext_strings(record.raw)), record.name
    secret = deployed.one(SECRET, "-grafana-admin")
    assert is_secret(secret.raw["stringData"])
    assert secret.inputs["stringData"] == {"admin-user": "admin", "admin-password": PASSWORD}
    admin = chart_values(deployed, "kube-prometheus-stack")["grafana"]["admin"]
    assert admin == {"existingSecret": secret.metadata["name"], "userKey": "admin-user",
                     "passwordKey": "admin-password"}
    assert PASSWORD not in json.dumps(deployed.outputs)
    assert PASSWORD not in repr(secure_args())


def test_existing_secret_reference_creates_no_secret() -> None:
    r = build(secure_args(grafana_admin_password=None, grafana_admin_existing_secret="vault-grafana-admin"))
    assert [s.name for s in r.of_type(SECRET)] == ["obs-alertmanager-receivers"]
    admin = chart_values(r, "kube-prometheus-stack")["grafana"]["admin"]
    assert admin["existingSecret"] == "vault-grafana-admin"


def test_receiver_secrets_stay_in_a_secret_and_alertmanager_reads_files(deployed: Run) -> None:
    for record in deployed.records:
        strings = list(plaintext_strings(record.raw))
        assert not any(WEBHOOK in s or ROUTING_KEY in s for s in strings), record.name
    secret = deployed.one(SECRET, "-alertmanager-receivers")
    assert is_secret(secret.raw["stringData"])
    assert secret.inputs["stringData"] == {"team-webhook": WEBHOOK, "oncall": ROUTING_KEY}
    am = chart_values(deployed, "kube-prometheus-stack")["alertmanager"]
    assert am["alertmanagerSpec"]["secrets"] == [secret.metadata["name"]]
    mount = f"/etc/alertmanager/secrets/{secret.metadata['name']}"
    receivers = {r["name"]: r for r in am["config"]["receivers"]}
    assert receivers["team-webhook"]["webhook_configs"][0]["url_file"] == f"{mount}/team-webhook"
    assert receivers["oncall"]["pagerduty_configs"][0]["routing_key_file"] == f"{mount}/oncall"
    route = am["config"]["route"]
    assert route["receiver"] == "team-webhook"
    assert {"receiver": "oncall", "matchers": ['severity="critical"'], "continue": False} in route["routes"]


# --- Pod Security: restricted everywhere but the documented node-agent namespace ---


def test_namespaces_pod_security_levels(deployed: Run) -> None:
    namespaces = {r.metadata["name"]: r.metadata["labels"] for r in deployed.of_type("kubernetes:core/v1:Namespace")}
    assert namespaces["observability"]["pod-security.kubernetes.io/enforce"] == "restricted"
    node = namespaces["observability-node"]
    assert node["pod-security.kubernetes.io/enforce"] == "privileged"
    assert node["pod-security.kubernetes.io/warn"] == "baseline"
    assert deployed.outputs["namespace"] == "observability"
    assert deployed.outputs["node_namespace"] == "observability-node"


def test_only_the_node_agents_run_in_the_node_namespace(deployed: Run) -> None:
    charts = {r.name.removeprefix("obs-"): r.inputs["namespace"] for r in deployed.of_type(CHART)}
    assert charts.pop("alloy") == "observability-node"
    assert set(charts.values()) == {"observability"}
    node_exporter = chart_values(deployed, "kube-prometheus-stack")["prometheus-node-exporter"]
    assert node_exporter["namespaceOverride"] == "observability-node"


RESTRICTED_POD_PATHS = {
    "kube-prometheus-stack": [
        "prometheus.prometheusSpec.securityContext",
        "alertmanager.alertmanagerSpec.securityContext",
        "prometheusOperator.securityContext",
        "grafana.securityContext",
        "kube-state-metrics.securityContext",
    ],
    "loki": ["loki.podSecurityContext"],
    "tempo": ["securityContext"],
    "opentelemetry-collector": ["podSecurityContext"],
}
RESTRICTED_CONTAINER_PATHS = {
    "kube-prometheus-stack": [
        "prometheusOperator.containerSecurityContext",
        "grafana.containerSecurityContext",
        "grafana.sidecar.securityContext",
        "kube-state-metrics.containerSecurityContext",
    ],
    "loki": ["loki.containerSecurityContext"],
    "tempo": ["tempo.securityContext"],
    "opentelemetry-collector": ["securityContext"],
    "kiali-server": ["deployment.security_context"],
}


@pytest.mark.parametrize(("role", "path"), [(r, p) for r, ps in RESTRICTED_POD_PATHS.items() for p in ps])
def test_restricted_pod_security_context(deployed: Run, role: str, path: str) -> None:
    context = get(chart_values(deployed, role), path)
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] > 0
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


@pytest.mark.parametrize(("role", "path"), [(r, p) for r, ps in RESTRICTED_CONTAINER_PATHS.items() for p in ps])
def test_restricted_container_security_context(deployed: Run, role: str, path: str) -> None:
    context = get(chart_values(deployed, role), path)
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["readOnlyRootFilesystem"] is True
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_grafana_runs_no_root_init_container(deployed: Run) -> None:
    grafana = chart_values(deployed, "kube-prometheus-stack")["grafana"]
    assert grafana["initChownData"] == {"enabled": False}
    # Restricted with a read-only root; Grafana's scratch paths are emptyDirs (the chart's extraEmptyDirMounts).
    context = grafana["containerSecurityContext"]
    assert (context["allowPrivilegeEscalation"], context["capabilities"], context["readOnlyRootFilesystem"]) == (
        False, {"drop": ["ALL"]}, True)
    assert grafana["extraEmptyDirMounts"] == [
        {"name": "grafana-tmp", "mountPath": "/tmp"},
        {"name": "grafana-logs", "mountPath": "/var/log/grafana"},
    ]


# --- logs: Alloy ships every container's logs to the Loki the component deploys ---


def test_alloy_pushes_to_the_loki_service_and_parses_istio_access_logs(deployed: Run) -> None:
    loki = deployed.one(CHART, "-loki").inputs
    alloy = chart_values(deployed, "alloy")
    config = alloy["alloy"]["configMap"]["content"]
    port = int(loki["values"]["loki"].get("server", {}).get("http_listen_port", 3100))
    push = f"http://{loki['values']['fullnameOverride']}.{loki['namespace']}.svc.cluster.local:{port}/loki/api/v1/push"
    assert f'url = "{push}"' in config
    assert deployed.outputs["loki_url"] == push.removesuffix("/loki/api/v1/push")
    for label in ("namespace", "pod", "container", "app"):
        assert f'target_label  = "{label}"' in config
    assert '"/var/log/pods/*$1/*.log"' in config
    assert 'selector = "{container=\\"istio-proxy\\"} |= \\"response_code\\""' in config
    for field in ("response_code", "downstream_peer_principal", "upstream_peer_principal"):
        assert f'{field} = "{field}",' in config  # extracted from the JSON line
        assert f'{field} = "",' in config  # and kept as structured metadata
    assert alloy["controller"]["type"] == "daemonset"
    assert alloy["alloy"]["mounts"]["varlog"] is True
    assert loki["values"]["deploymentMode"] == "SingleBinary"
    assert loki["values"]["loki"]["limits_config"]["allow_structured_metadata"] is True
    assert loki["values"]["loki"]["limits_config"]["retention_period"] == "168h"


# --- Kiali: read-only, authenticated, wired to Prometheus, Tempo and Grafana ---


def test_kiali_is_read_only_and_authenticated(deployed: Run) -> None:
    kiali = chart_values(deployed, "kiali-server")
    assert kiali["deployment"]["view_only_mode"] is True
    assert kiali["auth"]["strategy"] == "token"
    services = kiali["external_services"]
    assert services["prometheus"]["url"] == deployed.outputs["prometheus_url"]
    assert services["tracing"]["internal_url"] == deployed.outputs["tempo_url"]
    assert services["tracing"]["provider"] == "tempo"
    assert services["grafana"]["internal_url"] == deployed.outputs["grafana_url"]


def test_kiali_signing_key_comes_from_a_secret_when_named(deployed: Run) -> None:
    assert "login_token" not in chart_values(deployed, "kiali-server")
    kiali = dataclasses.replace(secure_args().kiali, signing_key_secret="kiali-signing-key")
    values = chart_values(build(secure_args(kiali=kiali)), "kiali-server")
    assert values["login_token"] == {"signing_key": "secret:kiali-signing-key:key"}


def test_kiali_can_be_left_out() -> None:
    r = build(secure_args(kiali=dataclasses.replace(secure_args().kiali, enabled=False)))
    assert not [c for c in r.of_type(CHART) if c.name.endswith("kiali-server")]


# --- rules and charts ---


def test_one_prometheus_rule_per_file_with_absolute_runbooks(deployed: Run) -> None:
    rules = {r.metadata["name"]: r for r in deployed.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")}
    assert set(rules) == {f"rules-{p.stem}" for p in rule_files()}
    for path in rule_files():
        spec = rules[f"rules-{path.stem}"].inputs["spec"]
        shipped = yaml.safe_load(path.read_text())
        assert [g["name"] for g in spec["groups"]] == [g["name"] for g in shipped["groups"]]
        for group in spec["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    url = rule["annotations"]["runbook_url"]
                    assert url == f"https://git.example.com/platform/blob/main/docs/runbooks/{rule['alert']}.md"


def test_charts_are_pinned_and_sources_can_be_overridden(deployed: Run) -> None:
    for record in deployed.of_type(CHART):
        role = record.name.removeprefix("obs-")
        pinned = CHARTS[role]
        assert record.inputs["version"] == pinned.version
        assert record.inputs["chart"] == pinned.chart
        assert record.inputs["repositoryOpts"]["repo"] == pinned.repository
    r = build(secure_args(chart_sources={
        "loki": ChartSource(chart="oci://registry.internal/charts/loki"),
        "tempo": ChartSource(repository="https://mirror.internal/grafana-community"),
    }))
    loki = r.one(CHART, "-loki").inputs
    assert (loki["chart"], loki["version"], loki.get("repositoryOpts")) == (
        "oci://registry.internal/charts/loki", CHARTS["loki"].version, None)
    assert r.one(CHART, "-tempo").inputs["repositoryOpts"]["repo"] == "https://mirror.internal/grafana-community"


def test_network_policies_deny_ingress_by_default(deployed: Run) -> None:
    policies: dict[tuple[str, str], Recorded] = {
        (p.metadata["namespace"], p.metadata["name"]): p
        for p in deployed.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    for ns in ("observability", "observability-node"):
        assert policies[(ns, "default-deny-ingress")].inputs["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    otlp = policies[("observability", "allow-otlp-from-cluster")].inputs["spec"]
    assert otlp["podSelector"] == {"matchLabels": {"app.kubernetes.io/instance": "otel-collector"}}
    assert {p["port"] for p in otlp["ingress"][0]["ports"]} == {4317, 4318}


def test_assets_dir_is_the_repositorys_observability_folder() -> None:
    assert (ASSETS_DIR / "rules").is_dir() and (ASSETS_DIR / "dashboards").is_dir()


RESOURCE_PATHS = {
    "kube-prometheus-stack": [
        "prometheus.prometheusSpec.resources",
        "alertmanager.alertmanagerSpec.resources",
        "prometheusOperator.resources",
        "grafana.resources",
        "grafana.sidecar.resources",
        "kube-state-metrics.resources",
        "prometheus-node-exporter.resources",
    ],
    "loki": ["singleBinary.resources"],
    "tempo": ["tempo.resources"],
    "opentelemetry-collector": ["resources"],
    "alloy": ["alloy.resources", "configReloader.resources"],
    "kiali-server": ["deployment.resources"],
}


@pytest.mark.parametrize(("role", "path"), [(r, p) for r, ps in RESOURCE_PATHS.items() for p in ps])
def test_every_container_declares_requests_and_limits(deployed: Run, role: str, path: str) -> None:
    declared = get(chart_values(deployed, role), path)
    assert set(declared["requests"]) == set(declared["limits"]) == {"cpu", "memory"}


def test_collector_runs_the_binary_of_its_image(deployed: Run) -> None:
    otel = chart_values(deployed, "opentelemetry-collector")
    assert (otel["image"]["repository"], otel["command"]["name"]) == ("otel/opentelemetry-collector-k8s", "otelcol-k8s")


def test_invalid_args_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="Grafana admin credentials"):
        build(secure_args(grafana_admin_password=None))


@pytest.mark.parametrize(("role", "path"), [
    ("kube-prometheus-stack", "prometheusOperator.podAnnotations"),
    ("kube-prometheus-stack", "grafana.podAnnotations"),
    ("kube-prometheus-stack", "kube-state-metrics.podAnnotations"),
    ("kiali-server", "deployment.pod_annotations"),
    ("alloy", "controller.podAnnotations"),
    ("opentelemetry-collector", "podAnnotations"),
])
def test_token_keepers_say_why(deployed: Run, role: str, path: str) -> None:
    assert get(chart_values(deployed, role), path)["devsecops.io/automount-reason"].strip()


@pytest.mark.parametrize("role", ["loki", "tempo"])
def test_workloads_without_api_calls_drop_the_token(deployed: Run, role: str) -> None:
    assert chart_values(deployed, role)["serviceAccount"] == {"automountServiceAccountToken": False}


def test_both_namespaces_deny_egress_and_the_node_one_allows_dns_loki_and_the_api(deployed: Run) -> None:
    all_policies = deployed.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    policies = {p.metadata["name"]: p.inputs["spec"] for p in all_policies
                if p.metadata["namespace"] == "observability-node"}
    assert policies["default-deny-egress"] == {"podSelector": {}, "policyTypes": ["Egress"]}
    dns, loki, api = policies["allow-egress-dns-loki-api"]["egress"]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert loki["to"][0]["podSelector"] == {"matchLabels": {"app.kubernetes.io/instance": "loki"}}
    assert loki["to"][0]["namespaceSelector"]["matchExpressions"][0]["values"] == ["observability"]
    assert loki["ports"] == [{"protocol": "TCP", "port": 3100}]
    # No node CIDR given: the private ranges, never link-local (the metadata service) or public.
    assert api == {"to": [{"ipBlock": {"cidr": c}} for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                             "100.64.0.0/10")],
                   "ports": [{"protocol": "TCP", "port": 443}]}
    # The monitoring namespace denies egress too; tests/test_network_connectivity.py judges its allow-list.
    assert "default-deny-egress" in {p.metadata["name"] for p in all_policies
                                     if p.metadata["namespace"] == "observability"}
