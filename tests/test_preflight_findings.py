"""preflight.findings: where a finding is attributed, as the real engine attributes it."""

from __future__ import annotations

from preflight.findings import collect
from preflight.graph import Graph, Resource
from preflight.packs import Diagnostic, PackResult, PolicyInfo

STACK_URN = "urn:pulumi:local::proj::pulumi:pulumi:Stack::proj-local"
NS_URN = "urn:pulumi:local::proj::kubernetes:core/v1:Namespace::apps"


def _outcome(diagnostic_urn: str) -> list[tuple[str, str, str]]:
    graph = Graph("proj", "local", resources=[
        Resource(STACK_URN, "pulumi:pulumi:Stack", "proj-local", custom=False),
        Resource(NS_URN, "kubernetes:core/v1:Namespace", "apps", custom=True, parent=STACK_URN),
    ])
    policy = PolicyInfo("mesh-default-deny-exists", "An allow-nothing policy exists.", "mandatory", "high", "",
                        {}, [], "stack")
    pack = PackResult("zero-trust-mesh", "0.1.0", "/packs/zt", {policy.name: policy}, [
        Diagnostic("zero-trust-mesh", policy.name, "mandatory", "high", diagnostic_urn, "none found"),
    ])
    return [(f.urn, f.resource_type, f.resource_name) for f in collect(graph, [pack], []).findings]


def test_a_stack_violation_naming_no_resource_belongs_to_the_root_stack() -> None:
    # pulumi v3.274.1 pkg/resource/deploy: resolveStackPolicyViolationURN -> DefaultRootStackURN.
    assert _outcome("") == [(STACK_URN, "pulumi:pulumi:Stack", "proj-local")]


def test_a_violation_naming_an_unknown_resource_also_belongs_to_the_root_stack() -> None:
    assert _outcome("urn:pulumi:local::proj::kubernetes:core/v1:Namespace::gone") == [
        (STACK_URN, "pulumi:pulumi:Stack", "proj-local")]


def test_a_violation_naming_a_resource_stays_on_it() -> None:
    assert _outcome(NS_URN) == [(NS_URN, "kubernetes:core/v1:Namespace", "apps")]
