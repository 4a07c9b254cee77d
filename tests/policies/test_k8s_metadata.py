"""Metadata of every policy of the pack, as GetAnalyzerInfo reports it, and the pack's README."""

from __future__ import annotations

import re

import pytest
from pulumi.runtime import proto
from pulumi_policy import Policy

from tests import packharness

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline import EXEMPTABLE, POLICIES, PSS_POLICIES  # noqa: E402

PACK_DIR = packharness.ROOT / "policypacks" / "kubernetes-baseline"
ADVISORY_BY_DESIGN = {"pod-security-exemption", "namespace-visible", "image-digest-required"}
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
INFO = packharness._servicer(POLICIES, None).GetAnalyzerInfo(None, None)
INFO_BY_NAME = {p.name: p for p in INFO.policies}


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_policy_metadata(policy: Policy) -> None:
    info = INFO_BY_NAME[policy.name]
    assert KEBAB.match(policy.name)
    assert len(policy.description) > 30
    assert info.severity != proto.POLICY_SEVERITY_UNSPECIFIED
    assert info.framework.name == "NIST SP 800-53" and info.framework.version == "Rev. 5"
    assert re.fullmatch(r"[A-Z]{2}-\d+", info.framework.reference), info.framework.reference
    assert info.framework.specification
    assert f"nist-800-53:{info.framework.reference}" in info.tags
    assert f"sp-800-204:{info.framework.specification}" in info.tags
    assert len(info.remediation_steps) > 30
    expected = proto.ADVISORY if policy.name in ADVISORY_BY_DESIGN else proto.MANDATORY
    assert info.enforcementLevel == expected


def test_sp_800_204_items_come_from_the_reference_notes() -> None:
    notes = packharness.ROOT.parent / "shared" / "reference" / "nist-800-204.md"
    if not notes.exists():
        pytest.skip(f"reference notes not found at {notes}")
    text = notes.read_text()
    items = {t.split(":", 1)[1] for p in POLICIES for t in (p.tags or []) if t.startswith("sp-800-204:")}
    assert {i for i in items if i not in text} == set()


def test_parameterised_policies_declare_their_config_schema() -> None:
    schemas = {p.name: sorted(p.configSchema.properties) for p in INFO.policies if p.configSchema.properties}
    assert schemas == {
        "pod-security-exemption": ["exemptNamespaces", "level", "policyExemptions"],
        "allowed-image-registries": ["allowedRegistries"],
        "no-cluster-admin-binding": ["allowedBindings"],
        "service-exposure-namespaces": ["allowedNamespaces"],
        "namespace-default-deny": ["requireEgress"],
    }
    level = INFO_BY_NAME["pod-security-exemption"].configSchema.properties["level"]
    assert list(level["enum"]) == ["baseline", "restricted"] and level["default"] == "restricted"


def test_each_pss_policy_knows_its_upstream_check_and_level() -> None:
    assert len(PSS_POLICIES) == 19
    for policy in PSS_POLICIES:
        check = policy.pss_check
        assert f"pss-check:{check.check_id}" in (policy.tags or [])
        assert f"pss-level:{check.level}" in (policy.tags or [])
        assert policy.description.startswith(f"[PSS {check.level}: {check.check_id}]")
    levels = [p.pss_check.level for p in PSS_POLICIES]
    assert levels.count("baseline") == 12 and levels.count("restricted") == 7


def test_exemption_policy_runs_first_and_covers_the_namespace_scoped_policies() -> None:
    # It publishes the pack settings the others read within the same request.
    assert POLICIES[0].name == "pod-security-exemption"
    assert {name for name, pod_security in EXEMPTABLE.items() if pod_security} == {
        *(p.name for p in PSS_POLICIES),
        "namespace-pod-security-label",
    }


def test_readme_documents_every_policy_and_config_key() -> None:
    readme = (PACK_DIR / "README.md").read_text()
    for policy in INFO.policies:
        assert f"`{policy.name}`" in readme, policy.name
        for key in policy.configSchema.properties:
            assert f"`{key}`" in readme, (policy.name, key)
