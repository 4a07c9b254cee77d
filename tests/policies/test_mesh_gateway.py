"""gateway-no-wildcard-hosts, gateway-https-redirect, gateway-tls-min-version, gateway-tls-credential-name."""

from __future__ import annotations

from typing import Any

from tests.policies.mesh_helpers import istio, messages

WILDCARD = "gateway-no-wildcard-hosts"
REDIRECT = "gateway-https-redirect"
MIN_TLS = "gateway-tls-min-version"
CREDENTIAL = "gateway-tls-credential-name"
ALL = (WILDCARD, REDIRECT, MIN_TLS, CREDENTIAL)

HTTPS = {
    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
    "hosts": ["shop.example.com"],
    "tls": {"mode": "SIMPLE", "credentialName": "shop-tls", "minProtocolVersion": "TLSV1_2"},
}
REDIRECT_SERVER = {
    "port": {"number": 80, "name": "http", "protocol": "HTTP"},
    "hosts": ["shop.example.com"],
    "tls": {"httpsRedirect": True},
}


def gateway(*servers: dict[str, Any]) -> Any:
    spec = {"selector": {"istio": "ingressgateway"}, "servers": list(servers)}
    return istio("Gateway", spec, name="public", namespace="istio-ingress")


def test_hardened_gateway_passes_all() -> None:
    res = gateway(HTTPS, REDIRECT_SERVER)
    assert {p: messages(p, res) for p in ALL} == {p: [] for p in ALL}


def test_wildcard_hosts_fail() -> None:
    for host in ("*", "*.example.com", "istio-ingress/*"):
        found = messages(WILDCARD, gateway({**HTTPS, "hosts": ["shop.example.com", host]}))
        assert found == [
            f"spec.servers[0].hosts[1] is {host!r}: list exact host names (optionally `<ns>/<host>`)."
        ]


def test_namespaced_exact_host_passes() -> None:
    assert messages(WILDCARD, gateway({**HTTPS, "hosts": ["frontend/shop.example.com"]})) == []


def test_plaintext_http_without_redirect_fails() -> None:
    plain = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
    found = messages(REDIRECT, gateway(HTTPS, plain))
    assert found == [
        "spec.servers[1] serves plaintext HTTP: set tls.httpsRedirect: true (or drop the server)."
    ]


def test_tls_floor() -> None:
    weak = {**HTTPS, "tls": {**HTTPS["tls"], "minProtocolVersion": "TLSV1_0"}}  # type: ignore[dict-item]
    assert messages(MIN_TLS, gateway(weak)) == [
        "spec.servers[0].tls.minProtocolVersion is TLSV1_0: set TLSV1_2 or TLSV1_3."
    ]
    unset = {**HTTPS, "tls": {"mode": "SIMPLE", "credentialName": "shop-tls"}}
    assert messages(MIN_TLS, gateway(unset)) == [
        "spec.servers[0].tls.minProtocolVersion is TLS_AUTO: set TLSV1_2 or TLSV1_3."
    ]
    assert (
        messages(MIN_TLS, gateway({**HTTPS, "tls": {**HTTPS["tls"], "minProtocolVersion": "TLSV1_3"}})) == []
    )  # type: ignore[dict-item]


def test_passthrough_is_not_terminated_here() -> None:
    passthrough = {
        **HTTPS,
        "port": {"number": 443, "name": "tls", "protocol": "TLS"},
        "tls": {"mode": "PASSTHROUGH"},
    }
    assert messages(MIN_TLS, gateway(passthrough)) == messages(CREDENTIAL, gateway(passthrough)) == []


def test_certificate_files_instead_of_secret_fail() -> None:
    files = {
        **HTTPS,
        "tls": {
            "mode": "SIMPLE",
            "serverCertificate": "/etc/certs/tls.crt",
            "privateKey": "/etc/certs/tls.key",
            "minProtocolVersion": "TLSV1_2",
        },
    }
    found = messages(CREDENTIAL, gateway(files))
    assert len(found) == 1 and found[0].startswith("spec.servers[0].tls has no credentialName")


def test_missing_servers_pass() -> None:
    res = istio("Gateway", {"selector": {"istio": "ingressgateway"}}, namespace="istio-ingress")
    assert {p: messages(p, res) for p in ALL} == {p: [] for p in ALL}
