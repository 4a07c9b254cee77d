"""Namespace exemptions: PSA-style pack-wide, per policy, and always reported as 'exempt:'."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import proto

from tests import packharness
from tests.packharness import UNKNOWN, Res
from tests.policies.test_k8s_support import (
    APPROVED,
    analyze,
    analyze_pack,
    as_cli_config,
    deployment,
    good_pod_spec,
    mandatory,
)

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline import EXEMPTION_POLICY, PSS_POLICIES  # noqa: E402
from k8s_baseline import settings as pack_settings  # noqa: E402

# A CNI-agent-like workload: host network and a hostPath volume.
HOST_AGENT = good_pod_spec(hostNetwork=True, volumes=[{"name": "cni", "hostPath": {"path": "/opt/cni/bin"}}])
KUBE_SYSTEM = {"pod-security-exemption": {"exemptNamespaces": ["kube-system"]}}


def exemptions(findings: list[packharness.Finding]) -> list[packharness.Finding]:
    return [f for f in findings if f.policy == "pod-security-exemption"]


def test_without_exemption_the_host_agent_fails() -> None:
    findings = analyze_pack(deployment(HOST_AGENT, namespace="kube-system"), APPROVED)
    assert {"pss-host-namespaces", "pss-restricted-volumes"} <= {f.policy for f in findings}
    assert exemptions(findings) == []


def test_pack_wide_exemption_silences_pss_and_reports_an_advisory_exemption() -> None:
    findings = analyze_pack(
        deployment(HOST_AGENT, namespace="kube-system", name="istio-cni"), {**APPROVED, **KUBE_SYSTEM}
    )
    assert not [f for f in findings if f.policy.startswith("pss-")]
    [exempt] = exemptions(findings)
    assert exempt.level == "advisory"
    assert exempt.message.startswith("exempt:")
    detail = exempt.message.split("\n", 1)[1]
    assert detail.startswith(
        "exempt: Deployment 'istio-cni' in namespace 'kube-system' is exempt from 20 policies"
    )
    assert "pss-host-namespaces" in detail and "namespace-pod-security-label" in detail
    assert detail.endswith("by policy config pod-security-exemption.exemptNamespaces")


def test_pack_wide_exemption_does_not_cover_hygiene_policies() -> None:
    spec = {**HOST_AGENT, "containers": [{"name": "a", "image": "registry.example.com/a:1"}]}
    findings = analyze_pack(deployment(spec, namespace="kube-system"), {**APPROVED, **KUBE_SYSTEM})
    assert mandatory(findings, "container-resources")
    assert mandatory(findings, "read-only-root-filesystem")


def test_other_namespaces_are_not_exempt() -> None:
    findings = analyze_pack(deployment(HOST_AGENT, namespace="apps"), {**APPROVED, **KUBE_SYSTEM})
    assert mandatory(findings, "pss-host-namespaces")
    assert exemptions(findings) == []


def test_per_policy_exemption_exempts_only_that_policy_and_names_its_source() -> None:
    config = {
        **APPROVED,
        "pod-security-exemption": {
            "policyExemptions": {"pss-host-path-volumes": ["logging"], "pss-restricted-volumes": ["logging"]}
        },
    }
    log_agent = good_pod_spec(volumes=[{"name": "logs", "hostPath": {"path": "/var/log"}}])
    findings = analyze_pack(deployment(log_agent, namespace="logging", name="fluent-bit"), config)
    assert [f for f in findings if f.level == "mandatory"] == []
    details = sorted(f.message.split("\n", 1)[1] for f in exemptions(findings))
    assert details == [
        "exempt: Deployment 'fluent-bit' in namespace 'logging' is exempt from 1 policy "
        "(pss-host-path-volumes) by policy config "
        "pod-security-exemption.policyExemptions['pss-host-path-volumes']",
        "exempt: Deployment 'fluent-bit' in namespace 'logging' is exempt from 1 policy "
        "(pss-restricted-volumes) by policy config "
        "pod-security-exemption.policyExemptions['pss-restricted-volumes']",
    ]
    # The same pod with hostNetwork still fails the checks it is not exempt from.
    loud = {**log_agent, "hostNetwork": True}
    assert mandatory(analyze_pack(deployment(loud, namespace="logging"), config), "pss-host-namespaces")


def test_per_policy_exemption_works_for_hygiene_policies() -> None:
    spec = good_pod_spec(automountServiceAccountToken=None)
    config = {
        **APPROVED,
        "pod-security-exemption": {"policyExemptions": {"automount-service-account-token": ["kube-system"]}},
    }
    findings = analyze_pack(deployment(spec, namespace="kube-system"), config)
    assert mandatory(findings, "automount-service-account-token") == []
    [exempt] = exemptions(findings)
    assert "(automount-service-account-token)" in exempt.message


def test_exemption_follows_the_provider_default_namespace() -> None:
    """A workload without metadata.namespace lands in its provider's namespace, so that is what is exempt."""
    pack_settings.reset()
    workload = deployment(HOST_AGENT, namespace=None)
    request = proto.AnalyzeRequest(
        type=workload.type,
        properties=packharness._struct(workload.props),
        urn=workload.urn,
        name=workload.name,
        provider=proto.AnalyzerProviderResource(
            type="pulumi:providers:kubernetes",
            urn="urn:pulumi:test::proj::pulumi:providers:kubernetes::k8s",
            name="k8s",
            properties=packharness._struct({"namespace": "kube-system"}),
        ),
    )
    servicer = packharness._servicer([EXEMPTION_POLICY, *PSS_POLICIES], as_cli_config(KUBE_SYSTEM))
    findings = packharness._findings(servicer.Analyze(request, None))
    assert [f.policy for f in findings] == ["pod-security-exemption"]
    assert "in namespace 'kube-system'" in findings[0].message


def test_missing_namespace_means_default() -> None:
    config = {"pod-security-exemption": {"exemptNamespaces": ["default"]}}
    findings = analyze([EXEMPTION_POLICY, *PSS_POLICIES], deployment(HOST_AGENT, namespace=None), config)
    assert [f.policy for f in findings] == ["pod-security-exemption"]
    assert "in namespace 'default'" in findings[0].message


def test_unknown_namespace_with_exemptions_is_an_advisory_not_an_exemption() -> None:
    findings = analyze_pack(deployment(HOST_AGENT, namespace=UNKNOWN), {**APPROVED, **KUBE_SYSTEM})
    assert exemptions([f for f in findings if "during preview" not in f.message]) == []
    assert any(f.policy == "pss-host-namespaces" and "during preview" in f.message for f in findings)
    assert mandatory(findings, "pss-host-namespaces") == []


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            {"exemptNamespace": ["kube-system"]},
            "key 'exemptNamespace' has value ['kube-system']: unknown key",
        ),
        ({"exemptNamespaces": "kube-system"}, "key 'exemptNamespaces' has value 'kube-system'"),
        ({"policyExemptions": {"pss-privileges": ["x"]}}, "key 'policyExemptions.pss-privileges'"),
        ({"policyExemptions": {"no-cluster-admin-binding": ["x"]}}, "no such policy"),
    ],
)
def test_invalid_exemption_config_stops_the_run(config: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match="invalid policy config for 'pod-security-exemption'") as raised:
        analyze_pack(deployment(), {"pod-security-exemption": config})
    assert error in str(raised.value)


def test_settings_do_not_leak_when_the_exemption_policy_is_disabled() -> None:
    analyze_pack(deployment(HOST_AGENT, namespace="kube-system"), {**APPROVED, **KUBE_SYSTEM})
    disabled = {**KUBE_SYSTEM, "pod-security-exemption": "disabled"}
    findings = analyze_pack(deployment(HOST_AGENT, namespace="kube-system"), {**APPROVED, **disabled})
    # Nothing published: the strict defaults apply, so the exemption is gone rather than silent.
    assert mandatory(findings, "pss-host-namespaces")


def test_non_workloads_are_not_reported_as_exempt() -> None:
    config_map = Res("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "c", "namespace": "kube-system"}})
    assert analyze_pack(config_map, KUBE_SYSTEM) == []
