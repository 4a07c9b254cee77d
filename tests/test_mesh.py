"""ServiceMesh under mocks: the charts, their values and the mesh-wide policies it registers."""

from __future__ import annotations

from typing import Any

import pytest

from components.errors import ConfigError
from components.mesh import (
    CaArgs,
    ChartSourceOverride,
    EgressGatewayArgs,
    IngressGatewayArgs,
    MeshRef,
    ServiceMesh,
    ServiceMeshArgs,
    TracingArgs,
)
from components.mesh_charts import ISTIO_CHART_REPOSITORY, ISTIO_VERSION, resolve_chart, revision_for
from tests.mesh_mocks import MeshMocks, Recorded, build

HOSTS = ["shop.example.com"]
CHART = "kubernetes:helm.sh/v4:Chart"
PA = "kubernetes:security.istio.io/v1:PeerAuthentication"
AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
TELEMETRY = "kubernetes:telemetry.istio.io/v1:Telemetry"
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
NAMESPACE = "kubernetes:core/v1:Namespace"


def mesh(**kwargs: Any) -> MeshMocks:
    kwargs.setdefault("ingress", IngressGatewayArgs(hosts=HOSTS))
    return build(lambda: ServiceMesh("mesh", ServiceMeshArgs(**kwargs)))


def chart(m: MeshMocks, logical: str) -> dict[str, Any]:
    return next(r.inputs for r in m.of_type(CHART) if r.name == f"mesh-{logical}")


def spec(r: Recorded) -> Any:
    return r.inputs["spec"]


def test_version_table_and_revision() -> None:
    assert ISTIO_VERSION == "1.30.4" and revision_for(ISTIO_VERSION) == "1-30"
    assert ServiceMeshArgs().revision == "1-30"


def test_registers_the_component_and_four_charts() -> None:
    m = mesh()
    assert m.resources[0].type == "devsecops:mesh:ServiceMesh"
    # Registration order is the event loop's business, not part of the contract.
    assert sorted(r.name for r in m.of_type(CHART)) == [
        "mesh-base",
        "mesh-cni",
        "mesh-ingressgateway",
        "mesh-istiod-1-30",
    ]
    for r in m.of_type(CHART):
        assert r.inputs["version"] == "1.30.4"
        assert r.inputs["repositoryOpts"] == {"repo": ISTIO_CHART_REPOSITORY}
    assert [chart(m, n)["chart"] for n in ("base", "cni", "istiod-1-30", "ingressgateway")] == [
        "base",
        "cni",
        "istiod",
        "gateway",
    ]


def test_istiod_values_are_zero_trust() -> None:
    values = chart(mesh(), "istiod-1-30")["values"]
    assert values["revision"] == "1-30"
    assert values["cni"] == {"enabled": True}
    mesh_config = values["meshConfig"]
    assert mesh_config["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}
    assert mesh_config["accessLogEncoding"] == "JSON"
    assert mesh_config["trustDomain"] == "cluster.local"
    assert mesh_config["defaultConfig"] == {
        "holdApplicationUntilProxyStarts": True,
        "proxyMetadata": {"SECRET_TTL": "12h"},
    }
    assert "extensionProviders" not in mesh_config  # the tracing hook is unset by default
    assert values["env"] == {"DEFAULT_WORKLOAD_CERT_TTL": "12h", "MAX_WORKLOAD_CERT_TTL": "12h"}
    assert values["seccompProfile"] == {"type": "RuntimeDefault"}
    assert values["global"]["logAsJson"] is True
    assert "watches" in values["podAnnotations"]["devsecops.io/automount-reason"]
    # The chart's top-level `resources`: upstream requests plus a memory limit.
    assert values["resources"] == {
        "requests": {"cpu": "500m", "memory": "2048Mi"},
        "limits": {"memory": "4096Mi"},
    }


def test_enterprise_ca_cacerts_is_required_not_optional() -> None:
    values = chart(mesh(), "istiod-1-30")["values"]
    assert values["volumes"] == [
        {"name": "enterprise-ca-required", "secret": {"secretName": "cacerts", "optional": False}}
    ]
    assert values["volumeMounts"][0]["name"] == "enterprise-ca-required"
    assert "caAddress" not in values["global"]


def test_istio_csr_turns_istiod_ca_off() -> None:
    values = chart(mesh(ca=CaArgs(mode="istio-csr")), "istiod-1-30")["values"]
    assert values["env"]["ENABLE_CA_SERVER"] == "false"
    assert values["global"]["caAddress"] == "cert-manager-istio-csr.cert-manager.svc:443"
    assert "volumes" not in values


def test_workload_cert_ttl_is_configurable_and_bounded() -> None:
    values = chart(mesh(workload_cert_ttl_hours=1), "istiod-1-30")["values"]
    assert values["meshConfig"]["defaultConfig"]["proxyMetadata"]["SECRET_TTL"] == "1h"
    assert values["env"]["MAX_WORKLOAD_CERT_TTL"] == "1h"
    with pytest.raises(ConfigError) as err:
        mesh(workload_cert_ttl_hours=48)
    assert err.value.key == "mesh.workloadCertTtlHours" and err.value.value == 48


def test_base_and_cni() -> None:
    m = mesh()
    assert chart(m, "base")["values"]["defaultRevision"] == "1-30"
    cni = chart(m, "cni")
    assert cni["namespace"] == "istio-cni"
    assert cni["values"]["excludeNamespaces"] == ["istio-cni", "istio-system", "kube-system"]
    assert "Pods" in cni["values"]["podAnnotations"]["devsecops.io/automount-reason"]
    assert cni["values"]["resources"] == {
        "requests": {"cpu": "100m", "memory": "100Mi"},
        "limits": {"memory": "512Mi"},
    }
    labels = m.one(NAMESPACE, "istio-cni").inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"


def test_namespaces_carry_pod_security_and_revision_labels() -> None:
    m = mesh()
    root = m.one(NAMESPACE, "istio-system").inputs["metadata"]["labels"]
    assert root == {f"pod-security.kubernetes.io/{k}": "restricted" for k in ("enforce", "audit", "warn")}
    ingress = m.one(NAMESPACE, "istio-ingress").inputs["metadata"]["labels"]
    assert ingress["istio.io/rev"] == "1-30" and ingress["pod-security.kubernetes.io/enforce"] == "restricted"


def test_mesh_wide_strict_mtls() -> None:
    pa = mesh().one(PA, "default")
    assert pa.inputs["metadata"] == {"name": "default", "namespace": "istio-system"}
    assert spec(pa) == {"mtls": {"mode": "STRICT"}}


def test_mesh_wide_allow_nothing() -> None:
    ap = mesh().one(AP, "allow-nothing")
    assert ap.inputs["metadata"]["namespace"] == "istio-system"
    assert spec(ap) == {"action": "ALLOW"}


def test_json_access_logs_through_telemetry_api() -> None:
    telemetry = mesh().one(TELEMETRY, "mesh-default")
    assert telemetry.inputs["metadata"]["namespace"] == "istio-system"
    assert spec(telemetry) == {"accessLogging": [{"providers": [{"name": "envoy"}]}]}


def test_tracing_hook() -> None:
    tracing = TracingArgs(
        service="otel-collector.monitoring.svc.cluster.local", port=4317, sampling_percent=5.0
    )
    m = mesh(tracing=tracing)
    providers = chart(m, "istiod-1-30")["values"]["meshConfig"]["extensionProviders"]
    assert providers == [
        {
            "name": "otel-tracing",
            "opentelemetry": {"service": "otel-collector.monitoring.svc.cluster.local", "port": 4317},
        }
    ]
    assert spec(m.one(TELEMETRY, "mesh-default"))["tracing"] == [
        {"providers": [{"name": "otel-tracing"}], "randomSamplingPercentage": 5.0}
    ]


def test_ingress_gateway_servers() -> None:
    m = mesh()
    gw = m.one(GATEWAY, "public")
    assert gw.inputs["metadata"]["namespace"] == "istio-ingress"
    assert spec(gw) == {
        "selector": {"istio": "ingressgateway"},
        "servers": [
            {
                "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                "hosts": ["shop.example.com"],
                "tls": {"mode": "SIMPLE", "credentialName": "ingress-tls", "minProtocolVersion": "TLSV1_2"},
            },
            {
                "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                "hosts": ["shop.example.com"],
                "tls": {"httpsRedirect": True},
            },
        ],
    }
    gateway = chart(m, "ingressgateway")
    assert gateway["name"] == "istio-ingressgateway" and gateway["namespace"] == "istio-ingress"
    assert gateway["values"]["revision"] == "1-30"
    assert gateway["values"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "istio-token" in gateway["values"]["podAnnotations"]["devsecops.io/automount-reason"]
    assert gateway["values"]["securityContext"]["runAsNonRoot"] is True


def test_no_hosts_no_gateway_resource_and_no_redirect_server() -> None:
    assert mesh(ingress=IngressGatewayArgs()).of_type(GATEWAY) == []
    servers = spec(mesh(ingress=IngressGatewayArgs(hosts=HOSTS, http_redirect=False)).one(GATEWAY, "public"))[
        "servers"
    ]
    assert [s["port"]["number"] for s in servers] == [443]


def test_optional_egress_gateway() -> None:
    assert not any(r.name == "mesh-egressgateway" for r in mesh().resources)
    m = mesh(egress=EgressGatewayArgs(enabled=True))
    egress = chart(m, "egressgateway")
    assert egress["name"] == "istio-egressgateway" and egress["namespace"] == "istio-egress"
    assert egress["values"]["service"]["type"] == "ClusterIP"
    assert m.one(NAMESPACE, "istio-egress").inputs["metadata"]["labels"]["istio.io/rev"] == "1-30"


def test_canary_revision_installs_a_second_istiod() -> None:
    m = mesh(canary_version="1.31.0")
    stable, canary = chart(m, "istiod-1-30"), chart(m, "istiod-1-31")
    assert (stable["version"], stable["values"]["revision"]) == ("1.30.4", "1-30")
    assert (canary["version"], canary["values"]["revision"], canary["name"]) == (
        "1.31.0",
        "1-31",
        "istiod-1-31",
    )
    assert chart(m, "base")["values"]["defaultRevision"] == "1-30"
    with pytest.raises(ConfigError) as err:
        mesh(canary_version="1.30.5")
    assert err.value.key == "mesh.canaryVersion"


def test_chart_source_overrides() -> None:
    m = mesh(
        chart_sources={
            "istiod": ChartSourceOverride(chart="oci://registry.example.com/istio/istiod"),
            "base": ChartSourceOverride(chart="./vendor/charts/base-1.30.4.tgz"),
            "gateway": ChartSourceOverride(repository="https://charts.mirror.example.com/istio"),
        }
    )
    istiod = chart(m, "istiod-1-30")
    assert istiod["chart"] == "oci://registry.example.com/istio/istiod" and "repositoryOpts" not in istiod
    assert istiod["version"] == "1.30.4"
    assert chart(m, "base")["chart"] == "./vendor/charts/base-1.30.4.tgz"
    assert chart(m, "ingressgateway")["repositoryOpts"] == {"repo": "https://charts.mirror.example.com/istio"}
    assert chart(m, "cni")["repositoryOpts"] == {"repo": ISTIO_CHART_REPOSITORY}
    with pytest.raises(ConfigError):
        resolve_chart("ztunnel", ISTIO_VERSION)


@pytest.mark.parametrize(
    ("option", "check"),
    [
        (
            {"mtls_mode_insecure": "PERMISSIVE"},
            lambda m: spec(m.one(PA, "default")) == {"mtls": {"mode": "PERMISSIVE"}},
        ),
        ({"default_deny_disabled_insecure": True}, lambda m: m.of_type(AP) == []),
        (
            {"allow_any_outbound_insecure": True},
            lambda m: (
                chart(m, "istiod-1-30")["values"]["meshConfig"]["outboundTrafficPolicy"]
                == {"mode": "ALLOW_ANY"}
            ),
        ),
        (
            {"access_logging_disabled_insecure": True},
            lambda m: spec(m.one(TELEMETRY, "mesh-default"))["accessLogging"][0]["disabled"] is True,
        ),
        ({"self_signed_ca_insecure": True}, lambda m: "volumes" not in chart(m, "istiod-1-30")["values"]),
        (
            {"cni_disabled_insecure": True},
            lambda m: (
                chart(m, "istiod-1-30")["values"]["cni"] == {"enabled": False}
                and not any(r.name == "mesh-cni" for r in m.resources)
            ),
        ),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else "",
)
def test_each_insecure_option_does_what_its_name_says(option: dict[str, Any], check: Any) -> None:
    assert check(mesh(**option))


def test_mesh_ref_for_services() -> None:
    ref = MeshRef.from_args(
        ServiceMeshArgs(trust_domain="corp.example", ingress=IngressGatewayArgs(hosts=HOSTS))
    )
    assert ref.ingress_principal == "corp.example/ns/istio-ingress/sa/istio-ingressgateway"
    assert ref.ingress_gateway == "istio-ingress/public" and ref.ingress_hosts == ("shop.example.com",)
    assert dict(ref.ingress_selector) == {"istio": "ingressgateway"}


def test_refused_values_register_nothing() -> None:
    def program() -> None:
        with pytest.raises(ConfigError) as err:
            ServiceMesh("mesh", ServiceMeshArgs(istio_version="1.30"))
        assert err.value.key == "mesh.istioVersion"

    assert build(program).resources == []


def test_every_mesh_namespace_is_closed_by_default_and_charts_open_their_ports() -> None:
    m = mesh(egress=EgressGatewayArgs(enabled=True))
    deny = {
        r.inputs["metadata"]["namespace"]: r.inputs["spec"]
        for r in m.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.inputs["metadata"]["name"] == "default-deny"
    }
    closed = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert deny == {ns: closed for ns in ("istio-system", "istio-cni", "istio-ingress", "istio-egress")}
    for logical in ("cni", "istiod-1-30", "ingressgateway", "egressgateway"):
        assert chart(m, logical)["values"]["global"]["networkPolicy"] == {"enabled": True}, logical


def test_children_use_the_kubernetes_provider_given_in_opts() -> None:
    import pulumi
    import pulumi_kubernetes as k8s

    def program() -> None:
        provider = k8s.Provider("cluster-k8s", kubeconfig="{}")
        ServiceMesh(
            "mesh",
            ServiceMeshArgs(ingress=IngressGatewayArgs(hosts=HOSTS)),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    m = build(program)
    children = [
        r for r in m.resources if r.type.startswith("kubernetes:") and r.type != "pulumi:providers:kubernetes"
    ]
    assert children and all(r.provider and "cluster-k8s" in r.provider for r in children), [
        (r.name, r.provider) for r in children if not (r.provider and "cluster-k8s" in r.provider)
    ]
