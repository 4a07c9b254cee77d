"""What the packs said, sorted into violations, unevaluable checks and exemptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from preflight.graph import Graph
from preflight.packs import PackResult

SEVERITY_ORDER = ("critical", "high", "medium", "low", "unspecified")
# Components a provider expands inside the engine: under mocks each is one resource with its inputs
# (chart, version, values), and the objects it would create are not in the graph.
PROVIDER_RENDERED = (
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:helm.sh/v3:Chart",
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:kustomize/v2:Directory",
)
UNKNOWN_PREFIX = "can't run policy"
# A pack reports an exemption (e.g. a namespace exempted from Pod Security) as an advisory
# diagnostic whose text starts with this word; preflight lists it as an exemption, not a finding.
EXEMPT_PREFIX = "exempt:"


@dataclass
class Finding:
    kind: str  # "violation" | "unknown" | "exemption"
    pack: str
    policy: str
    level: str
    severity: str
    urn: str
    resource_type: str
    resource_name: str
    message: str
    description: str
    remediation: str
    framework: dict[str, str] = field(default_factory=dict)
    source_file: str = ""
    source_line: int = 0


@dataclass
class Outcome:
    graph: Graph
    packs: list[PackResult]
    findings: list[Finding]
    notes: list[str]
    fail_on_unknown: bool = False
    """--fail-on-unknown: a mandatory policy that could not be evaluated fails the run too."""

    @property
    def unrendered(self) -> list[str]:
        """Names of provider-rendered components whose objects no resource policy saw."""
        return [r.name for r in self.graph.resources if r.type in PROVIDER_RENDERED]

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "violation" and f.level == "mandatory"]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "violation" and f.level != "mandatory"]

    @property
    def unknown_mandatory(self) -> list[Finding]:
        """Checks of mandatory policies that read values a preview cannot know."""
        levels = {(p.name, name): info.level for p in self.packs for name, info in p.policies.items()}
        return [f for f in self.findings
                if f.kind == "unknown" and levels.get((f.pack, f.policy)) == "mandatory"]

    @property
    def blocking_unknown(self) -> list[Finding]:
        """The unevaluable checks that fail the run: those of mandatory policies, with --fail-on-unknown."""
        return self.unknown_mandatory if self.fail_on_unknown else []

    @property
    def blocking(self) -> list[Finding]:
        """What fails the run: mandatory violations and `blocking_unknown`."""
        return self.mandatory + self.blocking_unknown

    @property
    def disabled(self) -> list[tuple[str, list[str], int]]:
        """(pack, the policies its policy config disabled, how many it has) for each pack with any:
        a disabled policy checked nothing."""
        result = [(p.name, sorted(n for n, info in p.policies.items() if info.level == "disabled"), len(p.policies))
                  for p in self.packs]
        return [entry for entry in result if entry[1]]

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def summary(self) -> dict[str, Any]:
        return {
            "resources": len(self.graph.resources),
            "packs": len(self.packs),
            "policies": sum(len(p.policies) for p in self.packs),
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            "unknown": len(self.of_kind("unknown")),
            "exemptions": len(self.of_kind("exemption")),
            "unrenderedCharts": len(self.unrendered),
            "disabledPolicies": sum(len(names) for _, names, _ in self.disabled),
        }


def _detail(message: str, description: str) -> str:
    if description and message.startswith(description):
        rest = message[len(description):].lstrip("\n")
        return rest or description
    return message


def _urn_type(urn: str) -> str:
    parts = urn.split("::")
    return parts[2].split("$")[-1] if len(parts) >= 4 else "stack policy"


def collect(graph: Graph, packs: list[PackResult], notes: list[str], *, fail_on_unknown: bool = False) -> Outcome:
    by_urn = graph.by_urn()
    root = next((r for r in graph.resources if r.type == "pulumi:pulumi:Stack" and not r.parent), None)
    findings = []
    for pack in packs:
        for d in pack.diagnostics:
            policy = pack.policies.get(d.policy)
            description = policy.description if policy else ""
            detail = _detail(d.message, description)
            # Only advisory diagnostics can be notices: a mandatory one is a violation whatever it says.
            advisory = d.level == "advisory"
            if advisory and detail.startswith(UNKNOWN_PREFIX):
                kind = "unknown"
            elif advisory and detail.startswith(EXEMPT_PREFIX):
                kind = "exemption"
            else:
                kind = "violation"
            res = by_urn.get(d.urn)
            urn = d.urn
            if res is None and root is not None:
                # As the engine does (resolveStackPolicyViolationURN, pkg/resource/deploy): a stack
                # policy violation naming no resource of the stack belongs to the root Stack resource.
                res, urn = root, root.urn
            findings.append(Finding(
                kind=kind,
                pack=pack.name,
                policy=d.policy,
                level=d.level,
                severity=d.severity if d.severity != "unspecified" else (policy.severity if policy else d.severity),
                urn=urn,
                resource_type=res.type if res else _urn_type(d.urn),
                resource_name=res.name if res else (d.urn.split("::")[-1] if d.urn else graph.stack),
                message=detail,
                description=description,
                remediation=policy.remediation if policy else "",
                framework=policy.framework if policy else {},
                source_file=res.source_file if res else "",
                source_line=res.source_line if res else 0,
            ))
    findings.sort(key=lambda f: (SEVERITY_ORDER.index(f.severity) if f.severity in SEVERITY_ORDER else 9,
                                 f.level != "mandatory", f.pack, f.policy, f.urn))
    return Outcome(graph, packs, findings, notes, fail_on_unknown)
