"""Shared helpers for the cicd-baseline policy tests: the pack on sys.path, stack analysis with links."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pulumi.runtime import proto
from pulumi_policy import Policy

from tests.packharness import Finding, Res, _findings, _servicer, _struct, add_pack_to_path

add_pack_to_path("cicd-baseline")

from cicd_baseline import POLICIES  # noqa: E402

__all__ = ["POLICIES", "analyze_linked_stack"]


def analyze_linked_stack(
    policy: Policy,
    resources: Iterable[Res],
    links: Mapping[str, Mapping[str, list[str]]],
) -> list[Finding]:
    """AnalyzeStack with propertyDependencies, as the engine sends them: {resource name: {input: [urns]}}."""
    request = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=r.type,
                properties=_struct(r.props),
                urn=r.urn,
                name=r.name,
                dependencies=[u for urns in links.get(r.name, {}).values() for u in urns],
                propertyDependencies={
                    key: proto.AnalyzerPropertyDependencies(urns=urns) for key, urns in links.get(r.name, {}).items()
                },
            )
            for r in resources
        ]
    )
    return _findings(_servicer([policy], None).AnalyzeStack(request, None))
