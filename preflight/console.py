"""The summary preflight prints: resources per type, then findings grouped by severity."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

from preflight.findings import SEVERITY_ORDER, Outcome


def _wrap(text: str, indent: str) -> str:
    """Wrap at spaces only: a region, a hostname or an image digest stays whole (copyable, greppable),
    even when it is longer than the line."""
    return "\n".join(
        textwrap.fill(line, width=100, initial_indent=indent, subsequent_indent=indent,
                      break_long_words=False, break_on_hyphens=False) or indent
        for line in text.splitlines()
    )


def render(outcome: Outcome, status: str, reports: dict[str, Path]) -> str:
    graph = outcome.graph
    s = outcome.summary()
    disabled = s["disabledPolicies"]
    out = [
        f"preflight: project {graph.project}, stack {graph.stack}: {s['resources']} resources, "
        f"{s['policies']} policies{f' ({disabled} disabled by policy config)' if disabled else ''} "
        f"in {s['packs']} pack(s)",
        "",
        "Resources by type:",
    ]
    for type_, n in sorted(Counter(r.type for r in graph.resources).items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"  {n:4d}  {type_}")
    out.append("")
    violations = [f for f in outcome.findings if f.kind == "violation"]
    if violations:
        out.append("Findings:")
        for severity in SEVERITY_ORDER:
            group = [f for f in violations if f.severity == severity]
            if not group:
                continue
            out.append(f"  {severity.upper()} ({len(group)})")
            for f in group:
                where = f"  [{f.source_file}:{f.source_line}]" if f.source_file else ""
                out.append(f"    [{f.level}] {f.pack}/{f.policy}: {f.resource_name} ({f.resource_type}){where}")
                out.append(_wrap(f.message, "        "))
                if f.remediation:
                    out.append(_wrap("Remediation: " + f.remediation, "        "))
        out.append("")
    exemptions = outcome.of_kind("exemption")
    if exemptions:
        out.append(f"Exemptions in use ({len(exemptions)}):")
        out += [f"    {f.pack}/{f.policy}: {f.resource_name}: {f.message}" for f in exemptions]
        out.append("")
    blocking_unknown = outcome.blocking_unknown
    if blocking_unknown:
        out.append(f"Not evaluable, failing the run (--fail-on-unknown) ({len(blocking_unknown)}):")
        for f in blocking_unknown:
            out.append(f"    {f.pack}/{f.policy}: {f.resource_name} ({f.resource_type})")
            out.append(_wrap(f.message, "        "))
        out.append("")
    unknown = [f for f in outcome.of_kind("unknown") if f not in blocking_unknown]
    if unknown:
        out.append(
            f"Not evaluable until apply ({len(unknown)} check(s) read values a preview cannot know; "
            "see report.md for the list)."
        )
        out.append("")
    if outcome.unrendered:
        out.append(
            f"NOT CHECKED: {len(outcome.unrendered)} Helm chart(s)/manifest group(s) are rendered by the Kubernetes "
            "provider inside the real engine; under mocks only their chart, version and values were checked, not "
            f"the objects they create ({', '.join(outcome.unrendered)}). A real `pulumi preview --policy-pack` "
            "checks those objects (python3 dev.py engine builds the engine)."
        )
        out.append("")
    if disabled:
        out.append(
            f"DISABLED: {disabled} of {s['policies']} policies are disabled by policy config and checked nothing "
            f"({', '.join(f'{pack} {len(names)} of {total}' for pack, names, total in outcome.disabled)}); "
            "report.md lists them."
        )
        out.append("")
    for note in outcome.notes:
        out.append(f"note: {note}")
    out.append("Reports: " + ", ".join(str(p) for p in reports.values()))
    partial = " in what was checked" if outcome.unrendered or disabled else ""
    verdict = {
        "pass": (f"PASS: nothing was checked, all {disabled} policies are disabled by policy config"
                 if disabled and disabled == s["policies"] else "PASS: no mandatory violations" + partial),
        "fail": f"FAIL: {s['mandatory']} mandatory violation(s)" + (
            f" and {len(blocking_unknown)} mandatory check(s) not evaluable (--fail-on-unknown)"
            if blocking_unknown else ""),
    }[status]
    out.append(f"{verdict} ({s['advisory']} advisory, {s['unknown']} not evaluable, "
               f"{s['exemptions']} exemption(s) used, {s['unrenderedCharts']} chart(s) not rendered, "
               f"{disabled} polic{'y' if disabled == 1 else 'ies'} disabled by policy config)")
    return "\n".join(out)
