"""Run policies through the analyzer protocol in-process, as the engine would call them.

The pack's real servicer (the object `PolicyPack` serves over gRPC) receives real protobuf
`AnalyzeRequest` / `AnalyzeStackRequest` messages, so deserialisation, unknown-value proxies,
policy config and enforcement levels all behave as under `pulumi preview`. Only the gRPC socket
is skipped. preflight's end-to-end tests cover the socket.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.policy import _PolicyAnalyzerServicer

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-value sentinel


def add_pack_to_path(pack_dir: str) -> None:
    """Make a pack's own helper package importable, as `runpy.run_path(pack_dir)` does."""
    path = str(ROOT / "policypacks" / pack_dir)
    if path not in sys.path:
        sys.path.insert(0, path)


@dataclass(frozen=True)
class Finding:
    policy: str
    message: str
    urn: str
    level: str  # "advisory" | "mandatory" | ...


@dataclass
class Res:
    """One resource as the engine sends it: type token, name and input properties."""

    type: str
    props: Mapping[str, Any]
    name: str = "r"
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)  # input name -> URNs

    @property
    def urn(self) -> str:
        return f"urn:pulumi:test::proj::{self.type}::{self.name}"


_LEVELS = {
    proto.ADVISORY: "advisory",
    proto.MANDATORY: "mandatory",
    proto.REMEDIATE: "remediate",
    proto.DISABLED: "disabled",
}


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(json.loads(json.dumps(props)))
    return s


def _servicer(policies: list[Policy], config: Mapping[str, Any] | None) -> Any:
    servicer = _PolicyAnalyzerServicer(
        "test-pack", "0.0.1", policies, EnforcementLevel.MANDATORY
    )
    # As the CLI does: an object without "enforcementLevel" keeps the policy's own default level.
    own_level = {p.name: (p.enforcement_level or EnforcementLevel.MANDATORY).value for p in policies}
    request = proto.ConfigureAnalyzerRequest()
    for name, value in (config or {}).items():
        pc = proto.PolicyConfig()
        if isinstance(value, str):
            pc.enforcementLevel = {v: k for k, v in _LEVELS.items()}[value]
        else:
            value = dict(value)
            level = value.pop("enforcementLevel", own_level.get(name, "mandatory"))
            pc.enforcementLevel = {v: k for k, v in _LEVELS.items()}[level]
            pc.properties.update(json.loads(json.dumps(value)))
        request.policyConfig[name].CopyFrom(pc)
    servicer.Configure(request, None)
    return servicer


def _findings(response: Any) -> list[Finding]:
    return [
        Finding(d.policyName, d.message, d.urn, _LEVELS.get(d.enforcementLevel, "?"))
        for d in response.diagnostics
    ]


def analyze(
    policies: Policy | list[Policy],
    resource: Res,
    config: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Analyze one resource. `config` is a policy config in the `--policy-pack-config` shape."""
    pols = policies if isinstance(policies, list) else [policies]
    request = proto.AnalyzeRequest(
        type=resource.type, properties=_struct(resource.props), urn=resource.urn, name=resource.name
    )
    return _findings(_servicer(pols, config).Analyze(request, None))


def analyze_stack(
    policies: Policy | list[Policy],
    resources: Iterable[Res],
    config: Mapping[str, Any] | None = None,
) -> list[Finding]:
    pols = policies if isinstance(policies, list) else [policies]
    request = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=r.type,
                properties=_struct(r.props),
                urn=r.urn,
                name=r.name,
                parent=r.parent,
                dependencies=r.dependencies,
                propertyDependencies={
                    k: proto.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items()
                },
            )
            for r in resources
        ]
    )
    return _findings(_servicer(pols, config).AnalyzeStack(request, None))


def violations(findings: list[Finding], policy: str) -> list[Finding]:
    """Findings of one policy, excluding 'can't run during preview' notices."""
    return [f for f in findings if f.policy == policy and "during preview" not in f.message]
