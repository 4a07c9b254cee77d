"""Stack policies: namespace-pod-security-label, namespace-default-deny, namespace-visible."""

from __future__ import annotations

from typing import Any

import pytest

from tests import packharness
from tests.packharness import UNKNOWN, Res
from tests.policies.test_k8s_support import (
    NETWORK_POLICY,
    analyze_stack,
    default_deny,
    deployment,
    mandatory,
    namespace,
)

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline.namespaces import NAMESPACE_POLICIES  # noqa: E402


def stack(*resources: Res, config: dict[str, Any] | None = None) -> list[packharness.Finding]:
    return analyze_stack(NAMESPACE_POLICIES, resources, config)


def isolated(name: str = "apps", enforce: str | None = "restricted") -> list[Res]:
    return [namespace(name, enforce), default_deny(name), deployment(namespace=name)]


def test_isolated_namespace_passes_every_stack_policy() -> None:
    assert stack(*isolated()) == []


# --- namespace-pod-security-label ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("enforce", "shown"),
    [
        (None, "is missing"),
        ("baseline", "is 'baseline'"),
        ("privileged", "is 'privileged'"),
        ("strict", "is 'strict'"),
    ],
)
def test_label_below_the_level_fails(enforce: str | None, shown: str) -> None:
    findings = stack(*isolated(enforce=enforce))
    [finding] = mandatory(findings, "namespace-pod-security-label")
    assert finding.urn.endswith("::ns-apps")
    assert (
        f"Namespace 'apps' holds Deployment 'web' but its label pod-security.kubernetes.io/enforce {shown}"
        in (finding.message)
    )


def test_label_at_or_above_the_configured_level_passes() -> None:
    baseline = {"pod-security-exemption": {"level": "baseline"}}
    assert stack(*isolated(enforce="baseline"), config=baseline) == []
    assert stack(*isolated(enforce="restricted"), config=baseline) == []
    [finding] = mandatory(
        stack(*isolated(enforce="privileged"), config=baseline), "namespace-pod-security-label"
    )
    assert "set it to 'baseline' (or stricter)" in finding.message


def test_label_skips_pack_wide_exempt_namespaces() -> None:
    config = {"pod-security-exemption": {"exemptNamespaces": ["istio-cni"]}}
    assert stack(*isolated("istio-cni", enforce="privileged"), config=config) == []


def test_namespace_without_workloads_needs_no_label() -> None:
    assert stack(namespace("empty", enforce=None), *isolated()) == []


def test_unknown_label_is_a_preview_advisory() -> None:
    ns = Res(
        "kubernetes:core/v1:Namespace", {"metadata": {"name": "apps", "labels": UNKNOWN}}, name="ns-apps"
    )
    findings = stack(ns, default_deny("apps"), deployment(namespace="apps"))
    [notice] = [f for f in findings if f.policy == "namespace-pod-security-label"]
    assert notice.level == "advisory" and "during preview" in notice.message


# --- namespace-default-deny ----------------------------------------------------------------------


def test_missing_default_deny_fails() -> None:
    findings = stack(namespace("apps"), deployment(namespace="apps"))
    [finding] = mandatory(findings, "namespace-default-deny")
    assert (
        "Namespace 'apps' holds Deployment 'web' but has no default-deny NetworkPolicy for Ingress and Egress"
        in (finding.message)
    )


def test_ingress_only_deny_fails_unless_egress_is_waived() -> None:
    resources = [namespace("apps"), default_deny("apps", ["Ingress"]), deployment(namespace="apps")]
    [finding] = mandatory(stack(*resources), "namespace-default-deny")
    assert "for Egress;" in finding.message
    assert stack(*resources, config={"namespace-default-deny": {"requireEgress": False}}) == []


def test_split_deny_policies_and_defaulted_policy_types_pass() -> None:
    ingress = Res(
        NETWORK_POLICY,
        {"metadata": {"name": "in", "namespace": "apps"}, "spec": {"podSelector": {}}},
        name="in",
    )  # policyTypes defaults to [Ingress]
    egress = default_deny("apps", ["Egress"], name="out")
    assert stack(namespace("apps"), ingress, egress, deployment(namespace="apps")) == []


@pytest.mark.parametrize(
    "spec",
    [
        {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress", "Egress"]},
        {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {}}]}],
        },
    ],
    ids=["selects-some-pods", "allows-ingress"],
)
def test_policies_that_do_not_deny_everything_do_not_count(spec: dict[str, Any]) -> None:
    netpol = Res(NETWORK_POLICY, {"metadata": {"name": "np", "namespace": "apps"}, "spec": spec}, name="np")
    assert mandatory(stack(namespace("apps"), netpol, deployment(namespace="apps")), "namespace-default-deny")


def test_default_deny_in_another_namespace_does_not_count() -> None:
    findings = stack(namespace("apps"), default_deny("other"), deployment(namespace="apps"))
    assert mandatory(findings, "namespace-default-deny")


def test_default_deny_per_policy_exemption() -> None:
    config = {"pod-security-exemption": {"policyExemptions": {"namespace-default-deny": ["apps"]}}}
    assert stack(namespace("apps"), deployment(namespace="apps"), config=config) == []


# --- namespace-visible ---------------------------------------------------------------------------


def test_workload_in_a_namespace_outside_the_stack_is_advisory() -> None:
    findings = stack(
        *isolated(), deployment(namespace="kube-system", name="agent"), deployment(namespace=None)
    )
    visible = [f for f in findings if f.policy == "namespace-visible"]
    assert [f.level for f in visible] == ["advisory", "advisory"]
    messages = sorted(f.message.split("\n", 1)[1] for f in visible)
    assert messages[0].startswith(
        "Namespace 'default' holds Deployment 'web' but is not created in this stack"
    )
    assert messages[1].startswith("Namespace 'kube-system' holds Deployment 'agent' but is not created")
    # The mandatory stack policies cannot see those namespaces, so they stay silent on them.
    assert [f for f in findings if f.level == "mandatory"] == []


def test_auto_named_namespace_is_called_out() -> None:
    auto = Res("kubernetes:core/v1:Namespace", {"metadata": {"labels": {}}}, name="team")
    [finding] = [f for f in stack(auto, deployment(namespace="team-x1y2")) if f.policy == "namespace-visible"]
    assert "1 auto-named Namespace(s) (team); give them metadata.name" in finding.message
