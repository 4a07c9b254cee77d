"""Stack policies: mesh-strict-mtls-exists, mesh-default-deny-exists, namespace-sidecar-injection,
workload-dedicated-service-account, pod-injection-not-disabled."""

from __future__ import annotations

from tests.packharness import Res
from tests.policies.mesh_helpers import (
    chart,
    deployment,
    istio,
    meshed_namespace,
    namespace,
    secure_istiod_values,
    stack_findings,
    stack_messages,
)

STRICT = "mesh-strict-mtls-exists"
DENY = "mesh-default-deny-exists"
INJECTION = "namespace-sidecar-injection"
SA = "workload-dedicated-service-account"
INJECTION_OFF = "pod-injection-not-disabled"


def mesh_defaults(root: str = "istio-system") -> list[Res]:
    return [
        namespace(root),
        chart("istiod", secure_istiod_values()),
        istio("PeerAuthentication", {"mtls": {"mode": "STRICT"}}, name="default", namespace=root),
        istio("AuthorizationPolicy", {"action": "ALLOW"}, name="allow-nothing", namespace=root),
    ]


def test_secure_mesh_passes_every_stack_policy() -> None:
    stack = [
        *mesh_defaults(),
        meshed_namespace("orders"),
        deployment("orders", "orders", service_account="orders"),
    ]
    for policy in (STRICT, DENY, INJECTION, SA, INJECTION_OFF):
        assert stack_messages(policy, stack) == [], policy


def test_no_mesh_no_mesh_wide_findings() -> None:
    stack = [namespace("apps"), deployment("web", "apps", service_account="web")]
    for policy in (STRICT, DENY, INJECTION):
        assert stack_messages(policy, stack) == [], policy


def test_missing_strict_peer_authentication_fails() -> None:
    stack = [r for r in mesh_defaults() if "PeerAuthentication" not in r.type]
    found = stack_messages(STRICT, stack)
    assert len(found) == 1 and "sets mtls.mode STRICT (found: none)" in found[0]


def test_permissive_mesh_wide_fails_with_its_urn() -> None:
    stack = [r for r in mesh_defaults() if "PeerAuthentication" not in r.type]
    permissive = istio("PeerAuthentication", {"mtls": {"mode": "PERMISSIVE"}}, name="default")
    findings = stack_findings(STRICT, [*stack, permissive])
    assert len(findings) == 2 and permissive.urn in [f.urn for f in findings]


def test_strict_with_selector_or_elsewhere_does_not_count() -> None:
    base = [r for r in mesh_defaults() if "PeerAuthentication" not in r.type]
    scoped = istio(
        "PeerAuthentication", {"selector": {"matchLabels": {"app": "x"}}, "mtls": {"mode": "STRICT"}}
    )
    other = istio("PeerAuthentication", {"mtls": {"mode": "STRICT"}}, namespace="orders")
    assert len(stack_messages(STRICT, [*base, scoped, other])) == 1


def test_configured_root_namespace() -> None:
    assert stack_messages(STRICT, mesh_defaults("mesh-root"), {"rootNamespace": "mesh-root"}) == []
    assert len(stack_messages(STRICT, mesh_defaults("mesh-root"))) == 1


def test_missing_default_deny_fails() -> None:
    stack = [r for r in mesh_defaults() if "AuthorizationPolicy" not in r.type]
    assert len(stack_messages(DENY, stack)) == 1


def test_allow_policy_with_rules_is_not_default_deny() -> None:
    stack = [r for r in mesh_defaults() if "AuthorizationPolicy" not in r.type]
    allow_all = istio("AuthorizationPolicy", {"action": "ALLOW", "rules": [{}]}, name="allow-all")
    assert len(stack_messages(DENY, [*stack, allow_all])) == 1


def test_unlabelled_namespace_fails() -> None:
    stack = [*mesh_defaults(), namespace("orders"), namespace("old", {"istio-injection": "disabled"})]
    findings = stack_findings(INJECTION, stack)
    assert sorted(f.message.splitlines()[-1].split("'")[1] for f in findings) == ["old", "orders"]


def test_injection_label_forms_and_system_namespaces() -> None:
    stack = [*mesh_defaults(), namespace("a", {"istio-injection": "enabled"}), namespace("monitoring")]
    assert len(stack_messages(INJECTION, stack)) == 1
    config = {"systemNamespaces": ["istio-system", "monitoring"]}
    assert stack_messages(INJECTION, stack, config) == []


def test_default_service_account_fails() -> None:
    found = stack_messages(SA, [deployment("web", "apps")])
    assert found == ["Deployment apps/web runs as the `default` ServiceAccount: give it its own."]


def test_shared_service_account_fails_for_each_user() -> None:
    stack = [
        deployment("a", "apps", service_account="shared"),
        deployment("b", "apps", service_account="shared"),
    ]
    findings = stack_findings(SA, stack)
    assert len(findings) == 2 and {f.urn for f in findings} == {stack[0].urn, stack[1].urn}


def test_same_account_name_in_two_namespaces_is_two_accounts() -> None:
    stack = [deployment("web", "a", service_account="web"), deployment("web", "b", service_account="web")]
    assert stack_messages(SA, stack) == []


def test_cronjob_template_is_read() -> None:
    cron = Res(
        "kubernetes:batch/v1:CronJob",
        {
            "metadata": {"name": "report", "namespace": "apps"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}},
        },
    )
    assert len(stack_messages(SA, [cron])) == 1


def test_injection_disabled_in_meshed_namespace_fails() -> None:
    off = deployment(
        "orders", "orders", service_account="orders", pod_labels={"sidecar.istio.io/inject": "false"}
    )
    found = stack_messages(INJECTION_OFF, [meshed_namespace("orders"), off])
    assert found == [
        "Deployment orders/orders sets pod label sidecar.istio.io/inject=false in a meshed namespace: "
        "it runs without proxy, mTLS or authorization."
    ]


def test_injection_disabled_by_annotation_fails() -> None:
    off = deployment("w", "orders", service_account="w", pod_annotations={"sidecar.istio.io/inject": "false"})
    assert len(stack_messages(INJECTION_OFF, [meshed_namespace("orders"), off])) == 1


def test_injection_disabled_outside_mesh_namespaces_is_not_this_policys_business() -> None:
    off = deployment("w", "tools", service_account="w", pod_labels={"sidecar.istio.io/inject": "false"})
    assert stack_messages(INJECTION_OFF, [namespace("tools"), off]) == []
