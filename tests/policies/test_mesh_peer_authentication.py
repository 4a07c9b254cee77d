"""peer-authentication-no-permissive."""

from __future__ import annotations

from tests.policies.mesh_helpers import istio, messages

POLICY = "peer-authentication-no-permissive"


def test_strict_and_unset_pass() -> None:
    assert messages(POLICY, istio("PeerAuthentication", {"mtls": {"mode": "STRICT"}})) == []
    assert (
        messages(POLICY, istio("PeerAuthentication", {"mtls": {"mode": "UNSET"}}, namespace="orders")) == []
    )


def test_permissive_fails() -> None:
    found = messages(POLICY, istio("PeerAuthentication", {"mtls": {"mode": "PERMISSIVE"}}))
    assert found == [
        "spec.mtls.mode is PERMISSIVE: plaintext is accepted. Set STRICT (or UNSET to inherit the "
        "mesh-wide STRICT)."
    ]


def test_disable_fails_in_any_api_version() -> None:
    res = istio("PeerAuthentication", {"mtls": {"mode": "DISABLE"}}, namespace="orders", version="v1beta1")
    assert res.type == "kubernetes:security.istio.io/v1beta1:PeerAuthentication"
    assert len(messages(POLICY, res)) == 1


def test_port_level_permissive_fails() -> None:
    spec = {
        "selector": {"matchLabels": {"app": "orders"}},
        "mtls": {"mode": "STRICT"},
        "portLevelMtls": {"8080": {"mode": "STRICT"}, "9090": {"mode": "PERMISSIVE"}},
    }
    found = messages(POLICY, istio("PeerAuthentication", spec, namespace="orders"))
    assert len(found) == 1 and found[0].startswith("spec.portLevelMtls.9090.mode is PERMISSIVE")


def test_missing_spec_inherits_and_passes() -> None:
    assert messages(POLICY, istio("PeerAuthentication", None)) == []
