"""parse_mesh / parse_services: strict parsing of the raw config objects."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.errors import ConfigError
from components.mesh_args import ServiceMeshArgs
from components.mesh_charts import ChartSourceOverride
from components.mesh_config import parse_mesh, parse_services
from components.microservice_args import ExposureArgs, JwtArgs, ServicePort

SAMPLE: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "docs" / "sample-app.yaml").read_text()
)


def mesh_error(raw: object) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_mesh(raw)
    return err.value


def services_error(raw: object, **kw: Any) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_services(raw, **kw)
    return err.value


def sample_services() -> list[dict[str, Any]]:
    return copy.deepcopy(SAMPLE["services"])


# -- mesh ----------------------------------------------------------------------------------------


def test_empty_or_missing_mesh_section_gives_secure_defaults() -> None:
    assert parse_mesh(None) == parse_mesh({}) == ServiceMeshArgs()


def test_sample_mesh_section() -> None:
    args = parse_mesh(SAMPLE["mesh"])
    assert args.ingress.hosts == ["shop.example.com"]
    assert args.ingress.credential_name == "shop-example-com-tls"
    assert args.ca.mode == "cacerts" and args.workload_cert_ttl_hours == 12
    assert (
        args.ingress.service_annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]
        == "internet-facing"
    )


def test_nested_values_and_overrides() -> None:
    args = parse_mesh(
        {
            "tracing": {"service": "otel-collector.monitoring.svc.cluster.local", "samplingPercent": 10},
            "chartSources": {"istiod": {"chart": "oci://registry.example.com/istio/istiod"}},
            "egress": {"enabled": True},
            "mtlsModeInsecure": "PERMISSIVE",
            "canaryVersion": "1.31.0",
        }
    )
    assert args.tracing is not None and args.tracing.sampling_percent == 10.0 and args.tracing.port == 4317
    assert args.chart_sources == {
        "istiod": ChartSourceOverride(chart="oci://registry.example.com/istio/istiod")
    }
    assert args.egress.enabled is True and args.mtls_mode_insecure == "PERMISSIVE"
    assert args.revisions == ["1-30", "1-31"]


@pytest.mark.parametrize(
    ("raw", "key", "value", "allowed_part"),
    [
        ("yes", "mesh", "yes", "an object with the keys"),
        ({"mtls": "STRICT"}, "mesh.mtls", "STRICT", "the keys istioVersion"),
        ({"ingress": {"host": ["a.example.com"]}}, "mesh.ingress.host", ["a.example.com"], "hosts"),
        ({"workloadCertTtlHours": "12"}, "mesh.workloadCertTtlHours", "12", "an integer"),
        ({"workloadCertTtlHours": True}, "mesh.workloadCertTtlHours", True, "an integer"),
        ({"workloadCertTtlHours": 48}, "mesh.workloadCertTtlHours", 48, "1 to 24 hours"),
        ({"workloadCertTtlHours": 12.5}, "mesh.workloadCertTtlHours", 12.5, "an integer"),
        ({"istioVersion": "~1.30"}, "mesh.istioVersion", "~1.30", "exact chart version"),
        ({"canaryVersion": "1.30.5"}, "mesh.canaryVersion", "1.30.5", "minor version other than"),
        ({"mtlsModeInsecure": "OFF"}, "mesh.mtlsModeInsecure", "OFF", "PERMISSIVE, DISABLE"),
        ({"ingress": {"hosts": ["*.example.com"]}}, "mesh.ingress.hosts[0]", "*.example.com", "exact host"),
        ({"ingress": {"hosts": ["shop.example.com", 7]}}, "mesh.ingress.hosts[1]", 7, "a string"),
        ({"ingress": {"hosts": "shop.example.com"}}, "mesh.ingress.hosts", "shop.example.com", "a list of"),
        (
            {"ingress": {"minTlsVersion": "TLSV1_0"}},
            "mesh.ingress.minTlsVersion",
            "TLSV1_0",
            "TLSV1_2, TLSV1_3",
        ),
        ({"ca": {"mode": "self-signed"}}, "mesh.ca.mode", "self-signed", "cacerts, istio-csr"),
        ({"rootNamespace": "Istio_System"}, "mesh.rootNamespace", "Istio_System", "DNS-1123"),
        ({"tracing": {"port": 4317}}, "mesh.tracing.service", None, "a string"),
        (
            {"tracing": {"service": "collector:4317"}},
            "mesh.tracing.service",
            "collector:4317",
            "Service FQDN",
        ),
        (
            {"tracing": {"service": "c.monitoring.svc.cluster.local", "samplingPercent": 150}},
            "mesh.tracing.samplingPercent",
            150.0,
            "0 to 100",
        ),
        ({"chartSources": {"ztunnel": {"chart": "x"}}}, "mesh.chartSources.ztunnel", "ztunnel", "base"),
        (
            {"chartSources": {"istiod": {"repository": "http://charts.example.com"}}},
            "mesh.chartSources.istiod.repository",
            "http://charts.example.com",
            "https://",
        ),
        ({"chartSources": {"istiod": {"path": "./x"}}}, "mesh.chartSources.istiod.path", "./x", "chart"),
        ({"ingress": {"serviceAnnotations": {"a": 1}}}, "mesh.ingress.serviceAnnotations.a", 1, "a string"),
    ],
)
def test_mesh_errors_name_key_value_and_allowed(
    raw: object, key: str, value: object, allowed_part: str
) -> None:
    e = mesh_error(raw)
    assert e.key == key and e.value == value and allowed_part in e.allowed, (e.key, e.value, e.allowed)
    assert key in str(e) and repr(value) in str(e)


# -- services ------------------------------------------------------------------------------------


def test_sample_services_section() -> None:
    services = parse_services(SAMPLE["services"], mesh=parse_mesh(SAMPLE["mesh"]))
    assert [s.name for s in services] == ["frontend", "orders", "payments"]
    frontend, orders, payments = services
    assert frontend.ports == [ServicePort("web", 8080, "http")]
    assert frontend.exposure == ExposureArgs(
        host="shop.example.com",
        path="/",
        jwt=JwtArgs("https://id.example.com", "https://id.example.com/.well-known/jwks.json", ["shop"]),
    )
    assert orders.callers == ["frontend"] and orders.calls == ["payments"] and orders.exposure is None
    assert payments.external_hosts == ["api.stripe.com"] and payments.ports[0].protocol == "grpc"
    assert payments.timeout_seconds == 10.0 and payments.retries == 1


def test_missing_services_section_is_empty() -> None:
    assert parse_services(None) == []


@pytest.mark.parametrize(
    ("mutate", "key", "value"),
    [
        (lambda s: s[0].update(colour="blue"), "services[0].colour", "blue"),
        (lambda s: s[1].pop("image"), "services[1].image", None),
        (lambda s: s[1].update(replicas="2"), "services[1].replicas", "2"),
        (lambda s: s[1]["ports"][0].update(port="8080"), "services[1].ports[0].port", "8080"),
        (lambda s: s[1]["ports"][0].update(protocol="udp"), "services[1].ports[0].protocol", "udp"),
        (lambda s: s[2].update(calls=["ledger"]), "services[2].calls[0]", "ledger"),
        (lambda s: s[1].update(callers=["frontend", "admin"]), "services[1].callers[1]", "admin"),
        (lambda s: s[2].update(name="orders"), "services[2].name", "orders"),
        (
            lambda s: s[2].update(externalHosts=["*.stripe.com"]),
            "services[2].externalHosts[0]",
            "*.stripe.com",
        ),
        (lambda s: s[0]["exposure"].pop("jwt"), "services[0].exposure.jwt", None),
        (
            lambda s: s[0]["exposure"].update(host="admin.example.com"),
            "services[0].exposure.host",
            "admin.example.com",
        ),
        (lambda s: s[0]["exposure"]["jwt"].update(jwks="x"), "services[0].exposure.jwt.jwks", "x"),
        (lambda s: s[2].update(image="payments:latest"), "services[2].image", "payments:latest"),
        (lambda s: s[0].update(env={"A": 1}), "services[0].env.A", 1),
    ],
)
def test_service_errors_name_key_and_value(mutate: Any, key: str, value: object) -> None:
    raw = sample_services()
    mutate(raw)
    e = services_error(raw, mesh=parse_mesh(SAMPLE["mesh"]))
    assert (e.key, e.value) == (key, value), (e.key, e.value, e.allowed)


def test_services_must_be_a_list() -> None:
    e = services_error({"frontend": {}})
    assert e.key == "services" and "a list of service declarations" in e.allowed


def test_without_a_mesh_exposure_hosts_are_not_cross_checked() -> None:
    raw = sample_services()
    raw[0]["exposure"]["host"] = "admin.example.com"
    assert parse_services(raw)[0].exposure.host == "admin.example.com"  # type: ignore[union-attr]


def test_custom_key_prefix() -> None:
    e = services_error([{"name": "a"}], key="app.services")
    assert e.key.startswith("app.services[0].")


def test_misspelt_key_suggests_the_right_one() -> None:
    e = mesh_error({"ingress": {"host": ["shop.example.com"]}})
    assert e.problem == "unknown key (did you mean 'hosts'?)"
    e = services_error([{**sample_services()[1], "externalHost": ["api.stripe.com"]}])
    assert e.key == "services[0].externalHost" and "did you mean 'externalHosts'?" in e.problem


def test_snake_case_keys_are_not_config_keys() -> None:
    e = mesh_error({"workload_cert_ttl_hours": 12})
    assert e.key == "mesh.workload_cert_ttl_hours" and "workloadCertTtlHours" in e.problem


@pytest.mark.parametrize(
    ("host", "problem"),
    [("api.stripe.com\n", "invalid value"), ("169.254.169.254", "an IP address, not a host name")],
    ids=["trailing-newline", "metadata-ip"],
)
def test_external_hosts_are_exact_names(host: str, problem: str) -> None:
    from components.service_graph import _check_external_host

    with pytest.raises(ConfigError) as caught:
        _check_external_host(host, "services[2].externalHosts[0]")
    assert caught.value.key == "services[2].externalHosts[0]" and caught.value.problem == problem


def test_a_service_name_with_a_newline_is_refused() -> None:
    from components.service_graph import DNS_LABEL

    assert DNS_LABEL.match("payments") and not DNS_LABEL.match("payments\n")
