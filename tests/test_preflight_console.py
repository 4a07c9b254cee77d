"""preflight's console summary and reports, rendered from a constructed outcome."""

from __future__ import annotations

from preflight import console
from preflight.findings import Outcome, collect
from preflight.graph import Graph, Resource
from preflight.packs import Diagnostic, PackResult, PolicyInfo

STACK_URN = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"
POD_URN = "urn:pulumi:dev::proj::kubernetes:core/v1:Pod::agent"


def _policy(name: str, level: str = "mandatory") -> PolicyInfo:
    return PolicyInfo(name, f"{name} holds.", level, "high", "", {}, [], "resource")


def _outcome(message: str = "", policies: dict[str, list[PolicyInfo]] | None = None) -> Outcome:
    graph = Graph("proj", "dev", resources=[
        Resource(STACK_URN, "pulumi:pulumi:Stack", "proj-dev", custom=False),
        Resource(POD_URN, "kubernetes:core/v1:Pod", "agent", custom=True, parent=STACK_URN),
    ])
    policies = policies or {"k8s": [_policy("image-registry")]}
    packs = []
    for pack, infos in policies.items():
        diagnostics = [Diagnostic(pack, infos[0].name, "mandatory", "high", POD_URN, message)] if message else []
        packs.append(PackResult(pack, "0.1.0", f"/packs/{pack}", {p.name: p for p in infos}, diagnostics))
    return collect(graph, packs, [])


def test_violation_text_is_wrapped_between_words_never_inside_one() -> None:
    digest = "docker.io/istio/proxyv2@sha256:" + "0123456789abcdef" * 4
    tokens = ["region", "us-east-1", "is", "not", "allowed;", "host", "istio-evil.example.com", "and", "image",
              digest, "use", "eu-west-1", "or", "eu-central-1", "with", "registry-only-egress"] * 4
    rendered = console.render(_outcome(" ".join(tokens)), "fail", {})
    lines = [ln.strip() for ln in rendered.splitlines() if ln.startswith("        ")]
    assert len(lines) > 3  # it did wrap
    assert [tok for ln in lines for tok in ln.split()] == tokens  # and every token survived whole
    assert all(len(ln) <= 92 for ln in lines if digest not in ln)  # still wrapped to the width
