"""destination-rule-no-tls-disable, destination-rule-tls-verifies-server."""

from __future__ import annotations

from tests.policies.mesh_helpers import istio, messages

DISABLE = "destination-rule-no-tls-disable"
VERIFY = "destination-rule-tls-verifies-server"


def dr(host: str, traffic_policy: dict[str, object] | None = None, **extra: object) -> object:
    spec: dict[str, object] = {"host": host, **extra}
    if traffic_policy is not None:
        spec["trafficPolicy"] = traffic_policy
    return istio("DestinationRule", spec, name="dr", namespace="orders")


def test_istio_mutual_passes() -> None:
    res = dr("orders.orders.svc.cluster.local", {"tls": {"mode": "ISTIO_MUTUAL"}})
    assert messages(DISABLE, res) == messages(VERIFY, res) == []


def test_disable_for_in_mesh_host_fails() -> None:
    found = messages(DISABLE, dr("orders.orders.svc.cluster.local", {"tls": {"mode": "DISABLE"}}))
    assert len(found) == 1 and found[0].startswith("spec.trafficPolicy.tls.mode is DISABLE")


def test_disable_in_port_level_and_subset_fails() -> None:
    res = dr(
        "orders",
        {"portLevelSettings": [{"port": {"number": 8080}, "tls": {"mode": "DISABLE"}}]},
        subsets=[{"name": "v2", "trafficPolicy": {"tls": {"mode": "DISABLE"}}}],
    )
    found = messages(DISABLE, res)
    assert [f.split(" ")[0] for f in found] == [
        "spec.trafficPolicy.portLevelSettings[0].tls.mode",
        "spec.subsets[0].trafficPolicy.tls.mode",
    ]


def test_short_and_namespaced_names_are_in_mesh() -> None:
    assert len(messages(DISABLE, dr("orders.orders", {"tls": {"mode": "DISABLE"}}))) == 1
    assert len(messages(DISABLE, dr("orders.orders.svc", {"tls": {"mode": "DISABLE"}}))) == 1


def test_disable_for_external_host_is_out_of_scope() -> None:
    assert messages(DISABLE, dr("api.stripe.com", {"tls": {"mode": "DISABLE"}})) == []


def test_custom_cluster_domain() -> None:
    res = dr("orders.orders.svc.corp.internal", {"tls": {"mode": "DISABLE"}})
    assert len(messages(DISABLE, res, {"clusterDomain": "corp.internal"})) == 1


def test_simple_tls_with_ca_passes() -> None:
    tls = {"mode": "SIMPLE", "caCertificates": "/etc/ssl/certs/ca-certificates.crt", "sni": "api.stripe.com"}
    assert messages(VERIFY, dr("api.stripe.com", {"tls": tls})) == []
    assert (
        messages(VERIFY, dr("api.stripe.com", {"tls": {"mode": "MUTUAL", "credentialName": "client"}})) == []
    )


def test_simple_tls_without_ca_fails() -> None:
    found = messages(VERIFY, dr("api.stripe.com", {"tls": {"mode": "SIMPLE"}}))
    assert len(found) == 1 and "without caCertificates or credentialName" in found[0]


def test_insecure_skip_verify_fails() -> None:
    tls = {"mode": "SIMPLE", "caCertificates": "/etc/ssl/certs/ca.crt", "insecureSkipVerify": True}
    found = messages(VERIFY, dr("api.stripe.com", {"tls": tls}))
    assert found == [
        "spec.trafficPolicy.tls.insecureSkipVerify is true: the server certificate is not checked. Remove it."
    ]


def test_missing_traffic_policy_passes() -> None:
    res = dr("orders")
    assert messages(DISABLE, res) == messages(VERIFY, res) == []
