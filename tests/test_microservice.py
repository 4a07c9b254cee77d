"""Microservice under mocks: every object derived from one declaration, and declaration errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.errors import ConfigError
from components.mesh import IngressGatewayArgs, MeshRef, ServiceMesh, ServiceMeshArgs, TracingArgs
from components.mesh_config import parse_mesh, parse_services
from components.microservice import (
    ExposureArgs,
    JwtArgs,
    Microservice,
    MicroserviceArgs,
    ServicePort,
    call_graph,
    deploy_services,
    validate_services,
)
from tests.mesh_mocks import MeshMocks, Recorded, build

SAMPLE = yaml.safe_load((Path(__file__).resolve().parent.parent / "docs" / "sample-app.yaml").read_text())
MESH_ARGS = parse_mesh(SAMPLE["mesh"])
SERVICES = parse_services(SAMPLE["services"], mesh=MESH_ARGS)
REF = MeshRef.from_args(MESH_ARGS)
IMAGE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/sample/x@sha256:" + "ab" * 32

AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
RA = "kubernetes:security.istio.io/v1:RequestAuthentication"
DR = "kubernetes:networking.istio.io/v1:DestinationRule"
VS = "kubernetes:networking.istio.io/v1:VirtualService"
SIDECAR = "kubernetes:networking.istio.io/v1:Sidecar"
SE = "kubernetes:networking.istio.io/v1:ServiceEntry"
NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def sample_app() -> MeshMocks:
    def program() -> None:
        mesh = ServiceMesh("mesh", MESH_ARGS)
        deploy_services("app", SERVICES, mesh)

    return build(program)


@pytest.fixture(scope="module")
def app() -> MeshMocks:
    return sample_app()


def find(m: MeshMocks, type_token: str, name: str, namespace: str) -> Recorded:
    found = [
        r
        for r in m.of_type(type_token)
        if r.inputs["metadata"]["name"] == name and r.inputs["metadata"].get("namespace") == namespace
    ]
    assert len(found) == 1, f"{type_token} {namespace}/{name}: {len(found)} found"
    return found[0]


def spec(r: Recorded) -> Any:
    return r.inputs["spec"]


def test_one_component_per_service(app: MeshMocks) -> None:
    names = sorted(r.name for r in app.of_type("devsecops:mesh:Microservice"))
    assert names == ["app-frontend", "app-orders", "app-payments"]


def test_namespace_is_meshed_and_restricted(app: MeshMocks) -> None:
    labels = app.one("kubernetes:core/v1:Namespace", "orders").inputs["metadata"]["labels"]
    assert labels == {
        "istio.io/rev": "1-30",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }


def test_dedicated_service_account_without_token(app: MeshMocks) -> None:
    sa = find(app, "kubernetes:core/v1:ServiceAccount", "orders", "orders")
    assert sa.inputs["automountServiceAccountToken"] is False


def test_deployment_is_hardened(app: MeshMocks) -> None:
    deploy = find(app, "kubernetes:apps/v1:Deployment", "orders", "orders")
    pod = spec(deploy)["template"]["spec"]
    assert spec(deploy)["replicas"] == 2
    assert pod["serviceAccountName"] == "orders" and pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    (container,) = pod["containers"]
    assert container["image"].endswith(
        "@sha256:555aa08de1ac314baa2724ddbbae5e2964e2db3e087fe41b8d1f4a2c4c07d201"
    )
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 10001
    assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]} and sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    }
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
    assert container["env"] == [
        {"name": "PAYMENTS_ADDR", "value": "payments.payments.svc.cluster.local:9090"}
    ]
    assert "sidecar.istio.io/inject" not in spec(deploy)["template"]["metadata"]["labels"]


def test_grpc_service_gets_a_grpc_probe(app: MeshMocks) -> None:
    deploy = find(app, "kubernetes:apps/v1:Deployment", "payments", "payments")
    assert spec(deploy)["template"]["spec"]["containers"][0]["readinessProbe"]["grpc"] == {"port": 9090}


def test_service_and_pdb(app: MeshMocks) -> None:
    svc = find(app, "kubernetes:core/v1:Service", "payments", "payments")
    assert spec(svc)["ports"] == [
        {"name": "grpc-rpc", "port": 9090, "targetPort": 9090, "protocol": "TCP", "appProtocol": "grpc"}
    ]
    assert svc.inputs["metadata"]["annotations"] == {"networking.istio.io/exportTo": ".,orders"}
    pdb = find(app, "kubernetes:policy/v1:PodDisruptionBudget", "payments", "payments")
    assert spec(pdb) == {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "payments"}}}


def test_authorization_policy_allows_only_the_callers_identities(app: MeshMocks) -> None:
    orders = spec(find(app, AP, "orders", "orders"))
    assert orders == {
        "selector": {"matchLabels": {"app": "orders"}},
        "action": "ALLOW",
        "rules": [
            {
                "from": [{"source": {"principals": ["cluster.local/ns/frontend/sa/frontend"]}}],
                "to": [{"operation": {"ports": ["8080"]}}],
            }
        ],
    }
    payments = spec(find(app, AP, "payments", "payments"))
    assert payments["rules"][0]["from"][0]["source"]["principals"] == ["cluster.local/ns/orders/sa/orders"]
    assert payments["rules"][0]["to"] == [{"operation": {"ports": ["9090"]}}]


def test_exposed_service_requires_gateway_identity_and_end_user_jwt(app: MeshMocks) -> None:
    frontend = spec(find(app, AP, "frontend", "frontend"))
    assert frontend["rules"] == [
        {
            "from": [
                {
                    "source": {
                        "principals": ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"],
                        "requestPrincipals": ["https://id.example.com/*"],
                    }
                }
            ],
            "to": [{"operation": {"ports": ["8080"]}}],
        }
    ]
    gateway_authz = spec(find(app, AP, "frontend-ingress", "istio-ingress"))
    assert gateway_authz == {
        "selector": {"matchLabels": {"istio": "ingressgateway"}},
        "action": "ALLOW",
        "rules": [
            {
                "to": [{"operation": {"hosts": ["shop.example.com", "shop.example.com:*"]}}],
                "from": [{"source": {"requestPrincipals": ["https://id.example.com/*"]}}],
            }
        ],
    }
    rule = {
        "issuer": "https://id.example.com",
        "jwksUri": "https://id.example.com/.well-known/jwks.json",
        "forwardOriginalToken": True,
        "audiences": ["shop"],
    }
    assert spec(find(app, RA, "frontend-jwt", "frontend")) == {
        "selector": {"matchLabels": {"app": "frontend"}},
        "jwtRules": [rule],
    }
    assert spec(find(app, RA, "frontend-jwt", "istio-ingress"))["jwtRules"] == [rule]


def test_gateway_route(app: MeshMocks) -> None:
    route = spec(find(app, VS, "frontend-ingress", "frontend"))
    assert route["hosts"] == ["shop.example.com"] and route["gateways"] == ["istio-ingress/public"]
    assert route["exportTo"] == [".", "istio-ingress"]
    (http,) = route["http"]
    assert http["match"] == [{"uri": {"prefix": "/"}}]
    assert http["route"] == [
        {"destination": {"host": "frontend.frontend.svc.cluster.local", "port": {"number": 8080}}}
    ]


def test_internal_services_have_no_gateway_objects(app: MeshMocks) -> None:
    for svc in ("orders", "payments"):
        assert not [r for r in app.of_type(VS) if r.inputs["metadata"]["name"] == f"{svc}-ingress"]
        assert not [r for r in app.of_type(RA) if r.inputs["metadata"]["namespace"] == svc]


def test_destination_rule(app: MeshMocks) -> None:
    dr = spec(find(app, DR, "orders", "orders"))
    assert dr["host"] == "orders.orders.svc.cluster.local" and dr["exportTo"] == [".", "frontend"]
    policy = dr["trafficPolicy"]
    assert policy["tls"] == {"mode": "ISTIO_MUTUAL"}
    assert policy["outlierDetection"] == {
        "consecutive5xxErrors": 5,
        "interval": "10s",
        "baseEjectionTime": "30s",
        "maxEjectionPercent": 50,
    }
    assert policy["connectionPool"]["tcp"]["maxConnections"] == 100
    assert policy["connectionPool"]["http"]["http1MaxPendingRequests"] == 100


def test_virtual_service_timeout_and_bounded_retries(app: MeshMocks) -> None:
    (http,) = spec(find(app, VS, "payments", "payments"))["http"]
    assert http["timeout"] == "10s"
    assert http["retries"] == {
        "attempts": 1,
        "perTryTimeout": "5s",
        "retryOn": "connect-failure,refused-stream,unavailable,cancelled,503",
    }
    assert http["match"] == [{"port": 9090}]


def test_sidecar_lists_only_declared_dependencies(app: MeshMocks) -> None:
    hosts = {
        svc: spec(find(app, SIDECAR, svc, svc))["egress"][0]["hosts"]
        for svc in ("frontend", "orders", "payments")
    }
    assert hosts == {
        "frontend": ["istio-system/*", "orders/orders.orders.svc.cluster.local"],
        "orders": ["istio-system/*", "payments/payments.payments.svc.cluster.local"],
        "payments": ["./api.stripe.com", "istio-system/*"],
    }
    sidecar = spec(find(app, SIDECAR, "payments", "payments"))
    assert sidecar["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}
    assert sidecar["workloadSelector"] == {"labels": {"app": "payments"}}


def test_service_entry_per_external_host(app: MeshMocks) -> None:
    (entry,) = app.of_type(SE)
    assert entry.inputs["metadata"] == {"name": "ext-api-stripe-com", "namespace": "payments"}
    assert spec(entry) == {
        "hosts": ["api.stripe.com"],
        "location": "MESH_EXTERNAL",
        "resolution": "DNS",
        "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
        "exportTo": ["."],
    }


def _peer(ns: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
    if labels:
        peer["podSelector"] = {"matchLabels": labels}
    return peer


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"port": p, "protocol": "TCP"} for p in ports]


def test_network_policies(app: MeshMocks) -> None:
    deny = spec(find(app, NP, "default-deny", "orders"))
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    allow = spec(find(app, NP, "orders-allow", "orders"))
    assert allow["podSelector"] == {"matchLabels": {"app": "orders"}}
    assert allow["ingress"] == [
        {"from": [_peer("frontend", {"app": "frontend"})], "ports": _tcp(8080)},
        {"from": [_peer("monitoring")], "ports": _tcp(15020, 15090)},
    ]
    assert allow["egress"] == [
        {
            "to": [_peer("kube-system", {"k8s-app": "kube-dns"})],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        },
        {"to": [_peer("istio-system", {"app": "istiod"})], "ports": _tcp(15012)},
        {"to": [_peer("payments", {"app": "payments"})], "ports": _tcp(9090)},
    ]


def test_network_policy_for_gateway_and_external_hosts(app: MeshMocks) -> None:
    frontend = spec(find(app, NP, "frontend-allow", "frontend"))
    assert frontend["ingress"][0] == {
        "from": [_peer("istio-ingress", {"istio": "ingressgateway"})],
        "ports": _tcp(8080),
    }
    payments = spec(find(app, NP, "payments-allow", "payments"))
    external = payments["egress"][-1]
    assert external["ports"] == _tcp(443)
    block = external["to"][0]["ipBlock"]
    assert (
        block["cidr"] == "0.0.0.0/0"
        and "169.254.0.0/16" in block["except"]
        and "10.0.0.0/8" in block["except"]
    )


def _one(
    svc: MicroserviceArgs, mesh: MeshRef = REF, catalog: list[MicroserviceArgs] | None = None
) -> MeshMocks:
    return build(lambda: Microservice(f"t-{svc.name}", svc, mesh, catalog or [svc]))


def test_tracing_collector_reachable_when_the_hook_is_set() -> None:
    tracing = TracingArgs(service="otel-collector.monitoring.svc.cluster.local", port=4317)
    ref = dataclasses.replace(REF, tracing=tracing)
    svc = MicroserviceArgs(name="solo", image=IMAGE, ports=[ServicePort("http", 8080)])
    m = _one(svc, ref)
    assert (
        "monitoring/otel-collector.monitoring.svc.cluster.local"
        in spec(find(m, SIDECAR, "solo", "solo"))["egress"][0]["hosts"]
    )
    assert {"to": [_peer("monitoring")], "ports": _tcp(4317)} in spec(find(m, NP, "solo-allow", "solo"))[
        "egress"
    ]


def test_service_without_callers_has_no_allow_policy() -> None:
    m = _one(MicroserviceArgs(name="solo", image=IMAGE, ports=[ServicePort("http", 8080)]))
    assert m.of_type(AP) == []


def test_injection_disabled_insecure_labels_the_pods() -> None:
    svc = MicroserviceArgs(
        name="solo", image=IMAGE, ports=[ServicePort("http", 8080)], injection_disabled_insecure=True
    )
    deploy = find(_one(svc), "kubernetes:apps/v1:Deployment", "solo", "solo")
    assert spec(deploy)["template"]["metadata"]["labels"]["sidecar.istio.io/inject"] == "false"


def test_anonymous_exposure_leaves_the_gateway_rule_without_from() -> None:
    svc = MicroserviceArgs(
        name="site",
        image=IMAGE,
        ports=[ServicePort("http", 8080)],
        exposure=ExposureArgs(host="shop.example.com", path="/public", anonymous_insecure=True),
    )
    m = _one(svc)
    rule = spec(find(m, AP, "site-ingress", "istio-ingress"))["rules"][0]
    assert "from" not in rule
    assert rule["to"][0]["operation"]["paths"] == ["/public", "/public/*"]
    assert m.of_type(RA) == []


def test_canary_revision_per_service() -> None:
    svc = MicroserviceArgs(name="solo", image=IMAGE, ports=[ServicePort("http", 8080)], revision="1-31")
    labels = _one(svc).one("kubernetes:core/v1:Namespace", "solo").inputs["metadata"]["labels"]
    assert labels["istio.io/rev"] == "1-31"


def test_call_graph_output() -> None:
    assert call_graph(SERVICES) == {
        "edges": [{"from": "frontend", "to": "orders"}, {"from": "orders", "to": "payments"}],
        "ingress": [
            {
                "host": "shop.example.com",
                "path": "/",
                "to": "frontend",
                "jwt_issuer": "https://id.example.com",
            }
        ],
        "egress": [{"from": "payments", "to": "api.stripe.com:443"}],
    }


# -- declaration errors ------------------------------------------------------------------------


def svc(service_name: str, **kw: Any) -> MicroserviceArgs:
    fields: dict[str, Any] = {
        "name": service_name,
        "image": IMAGE,
        "ports": [ServicePort("http", 8080)],
        **kw,
    }
    return MicroserviceArgs(**fields)


def error(services: list[MicroserviceArgs], mesh: MeshRef | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        validate_services(services, "services", mesh)
    return err.value


def test_valid_set_passes() -> None:
    validate_services(SERVICES, "services", REF)


def test_unknown_callee() -> None:
    e = error([svc("a", callers=["c"]), svc("b"), svc("c", calls=["a", "ghost"])])
    assert (e.key, e.value) == ("services[2].calls[1]", "ghost")
    assert "a, b, c" in e.allowed and "no such service" in str(e)


def test_unknown_caller() -> None:
    e = error([svc("a", callers=["nobody"])])
    assert (e.key, e.value) == ("services[0].callers[0]", "nobody")


def test_duplicate_name() -> None:
    e = error([svc("a"), svc("a", namespace="other")])
    assert (e.key, e.value) == ("services[1].name", "a") and "services[0]" in e.problem


def test_wildcard_external_host() -> None:
    e = error([svc("a", external_hosts=["api.stripe.com", "*.stripe.com"])])
    assert (e.key, e.value) == ("services[0].externalHosts[1]", "*.stripe.com")
    assert "exact host name" in e.allowed and e.problem == "wildcard host"


def test_one_sided_call_is_rejected_on_both_sides() -> None:
    e = error([svc("a", calls=["b"]), svc("b")])
    assert (e.key, e.value) == (
        "services[0].calls[0]",
        "b",
    ) and "does not list 'a' in its callers" in e.problem
    e = error([svc("a"), svc("b", callers=["a"])])
    assert (e.key, e.value) == (
        "services[1].callers[0]",
        "a",
    ) and "does not list 'b' in its calls" in e.problem


def test_self_reference() -> None:
    e = error([svc("a", calls=["a"], callers=["a"])])
    assert e.key == "services[0].calls[0]" and "itself" in e.problem


def test_shared_namespace() -> None:
    e = error([svc("a"), svc("b", namespace="a")])
    assert (e.key, e.value) == ("services[1].namespace", "a")


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("image", "nginx:latest", "services[0].image"),
        ("image", "111122223333.dkr.ecr.us-east-1.amazonaws.com/x:1.0", "services[0].image"),
        ("service_account", "default", "services[0].serviceAccount"),
        ("replicas", 0, "services[0].replicas"),
        ("run_as_user", 0, "services[0].runAsUser"),
        ("retries", 9, "services[0].retries"),
        ("name", "Bad_Name", "services[0].name"),
        ("ports", [], "services[0].ports"),
        ("ports", [ServicePort("envoy", 15001)], "services[0].ports[0].port"),
        ("ports", [ServicePort("low", 80)], "services[0].ports[0].port"),
        ("ports", [ServicePort("a", 8080), ServicePort("b", 8080)], "services[0].ports[1]"),
        ("external_hosts", ["orders.svc.cluster.local"], "services[0].externalHosts[0]"),
    ],
)
def test_field_errors(field: str, value: Any, key: str) -> None:
    e = error([svc("a", **{field: value})])
    assert e.key == key


DIGEST = "sha256:" + "0" * 64


@pytest.mark.parametrize(("image", "problem"), [
    ("nginx:latest", "not pinned by digest"),
    (f"nginx@{DIGEST}", "no registry host"),
    (f"111122223333.dkr.ecr.us-east-1.amazonaws.com/evil:latest@{DIGEST}", "a tag next to the digest"),
    (f"DOCKER.IO/istio/proxyv2@{DIGEST}", "upper-case letters"),
    ("docker.io/istio/proxyv2@sha256:abc", "the digest is not sha256 and 64 lower-case hex digits"),
])
def test_image_errors_say_what_is_wrong_with_the_reference(image: str, problem: str) -> None:
    e = error([svc("a", image=image)])
    assert (e.key, e.value) == ("services[0].image", image)
    assert e.problem.startswith(problem)


def test_a_kubernetes_namespace_is_refused() -> None:
    e = error([svc("kube-system")])
    assert (e.key, e.value) == ("services[0].namespace", "kube-system")
    e = error([svc("a", namespace="default")])
    assert (e.key, e.value) == ("services[0].namespace", "default")


def test_exposure_errors() -> None:
    jwt = JwtArgs("https://id.example.com", "https://id.example.com/jwks.json")
    e = error([svc("a", exposure=ExposureArgs(host="shop.example.com"))])
    assert e.key == "services[0].exposure.jwt" and "anonymousInsecure" in e.allowed
    e = error([svc("a", exposure=ExposureArgs(host="*.example.com", jwt=jwt))])
    assert e.key == "services[0].exposure.host"
    e = error(
        [svc("a", exposure=ExposureArgs(host="shop.example.com", jwt=JwtArgs("i", "http://plain/jwks")))]
    )
    assert e.key == "services[0].exposure.jwt.jwksUri"
    e = error([svc("a", exposure=ExposureArgs(host="shop.example.com", port=9999, jwt=jwt))])
    assert e.key == "services[0].exposure.port"
    e = error([svc("a", exposure=ExposureArgs(host="other.example.com", jwt=jwt))], REF)
    assert (e.key, e.value) == (
        "services[0].exposure.host",
        "other.example.com",
    ) and "shop.example.com" in e.allowed
    two = [
        svc("a", exposure=ExposureArgs(host="shop.example.com", jwt=jwt)),
        svc("b", exposure=ExposureArgs(host="shop.example.com", jwt=jwt)),
    ]
    e = error(two)
    assert e.key == "services[1].exposure" and "services[0]" in e.problem


def test_unknown_revision() -> None:
    e = error([svc("a", revision="1-99")], REF)
    assert (e.key, e.value) == ("services[0].revision", "1-99")


def test_deploy_services_validates_before_registering_anything() -> None:
    def program() -> None:
        mesh = ServiceMesh("mesh", ServiceMeshArgs(ingress=IngressGatewayArgs(hosts=["shop.example.com"])))
        with pytest.raises(ConfigError) as err:
            deploy_services("app", [svc("a", calls=["b"]), svc("b")], mesh)
        assert err.value.key == "services[0].calls[0]"

    m = build(program)
    assert m.of_type("devsecops:mesh:Microservice") == []
    assert not [r for r in m.of_type("kubernetes:apps/v1:Deployment")]


def test_services_use_the_kubernetes_provider_given_in_opts() -> None:
    import pulumi
    import pulumi_kubernetes as k8s

    def program() -> None:
        provider = k8s.Provider("cluster-k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(providers=[provider])
        deploy_services("app", SERVICES, ServiceMesh("mesh", MESH_ARGS, opts=opts), opts=opts)

    m = build(program)
    children = [r for r in m.resources if r.type.startswith("kubernetes:") and "app-" in r.name]
    assert len(children) > 30 and all(r.provider and "cluster-k8s" in r.provider for r in children)


def test_a_misspelt_caller_is_reported_as_unknown_not_as_a_missing_edge() -> None:
    e = error([svc("frontend", calls=["orders"]), svc("orders", callers=["frontned"])])
    assert (e.key, e.value, e.problem) == ("services[1].callers[0]", "frontned", "no such service")
