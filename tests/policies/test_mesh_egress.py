"""virtual-service-no-wildcard-hosts, sidecar-no-unrestricted-egress, service-entry-no-wildcard-hosts."""

from __future__ import annotations

from tests.policies.mesh_helpers import istio, messages

VS = "virtual-service-no-wildcard-hosts"
SIDECAR = "sidecar-no-unrestricted-egress"
SE = "service-entry-no-wildcard-hosts"


def test_virtual_service_exact_host_passes() -> None:
    res = istio("VirtualService", {"hosts": ["orders.orders.svc.cluster.local"]}, namespace="orders")
    assert messages(VS, res) == []


def test_virtual_service_wildcard_fails() -> None:
    res = istio("VirtualService", {"hosts": ["shop.example.com", "*.example.com"]}, namespace="frontend")
    assert messages(VS, res) == ["spec.hosts[1] is '*.example.com': route exact host names."]


def test_sidecar_with_declared_hosts_passes() -> None:
    spec = {
        "egress": [
            {"hosts": ["istio-system/*", "payments/payments.payments.svc.cluster.local", "./api.stripe.com"]}
        ]
    }
    assert messages(SIDECAR, istio("Sidecar", spec, namespace="orders")) == []


def test_sidecar_all_namespaces_all_hosts_fails() -> None:
    spec = {"egress": [{"hosts": ["istio-system/*"]}, {"port": {"number": 9090}, "hosts": ["*/*"]}]}
    found = messages(SIDECAR, istio("Sidecar", spec, namespace="orders"))
    assert len(found) == 1 and found[0].startswith("spec.egress[1].hosts[0] is '*/*'")


def test_sidecar_without_egress_passes() -> None:
    assert messages(SIDECAR, istio("Sidecar", {"ingress": []}, namespace="orders")) == []


def test_service_entry_exact_host_passes() -> None:
    spec = {
        "hosts": ["api.stripe.com"],
        "location": "MESH_EXTERNAL",
        "ports": [{"number": 443, "protocol": "TLS"}],
    }
    assert messages(SE, istio("ServiceEntry", spec, namespace="payments")) == []


def test_service_entry_wildcard_fails_unless_allow_listed() -> None:
    res = istio(
        "ServiceEntry", {"hosts": ["*.stripe.com"], "location": "MESH_EXTERNAL"}, namespace="payments"
    )
    assert messages(SE, res) == [
        "spec.hosts[0] is '*.stripe.com': declare each external host exactly (SM-DR8 named destinations)."
    ]
    assert messages(SE, res, {"allowedHosts": ["*.stripe.com"]}) == []
