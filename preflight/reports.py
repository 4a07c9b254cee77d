"""Report files: JSON (everything), SARIF 2.1.0 (code scanning), JUnit XML (CI test views) and
Markdown (a pull request comment)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from preflight.findings import Finding, Outcome

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL = "devsecops-preflight"
INFO_URI = "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/"


def write_all(outcome: Outcome, out_dir: Path, status: str) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "graph": out_dir / "graph.json",
        "json": out_dir / "report.json",
        "sarif": out_dir / "report.sarif",
        "junit": out_dir / "junit.xml",
        "markdown": out_dir / "report.md",
    }
    outcome.graph.save(paths["graph"], redacted=True)  # an artifact CI uploads: no secret values
    paths["json"].write_text(json.dumps(to_json(outcome, status), indent=1))
    paths["sarif"].write_text(json.dumps(to_sarif(outcome), indent=1))
    ET.ElementTree(to_junit(outcome)).write(paths["junit"], encoding="utf-8", xml_declaration=True)
    paths["markdown"].write_text(to_markdown(outcome, status))
    return paths


def to_json(outcome: Outcome, status: str) -> dict[str, Any]:
    return {
        "project": outcome.graph.project,
        "stack": outcome.graph.stack,
        "status": status,
        "failOnUnknown": outcome.fail_on_unknown,
        "summary": outcome.summary(),
        "disabledByPolicyConfig": {pack: names for pack, names, _ in outcome.disabled},
        "resourceTypes": dict(sorted(Counter(r.type for r in outcome.graph.resources).items())),
        "packs": [
            {
                "name": p.name,
                "version": p.version,
                "directory": p.directory,
                "policies": [asdict(pol) for pol in p.policies.values()],
            }
            for p in outcome.packs
        ],
        "findings": [asdict(f) for f in outcome.findings],
        "notes": outcome.notes,
    }


def _rule_id(f: Finding) -> str:
    return f"{f.pack}/{f.policy}"


_SARIF_LEVEL = {"mandatory": "error", "advisory": "warning", "remediate": "error"}


def to_sarif(outcome: Outcome) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for pack in outcome.packs:
        for pol in pack.policies.values():
            index[f"{pack.name}/{pol.name}"] = len(rules)
            rule: dict[str, Any] = {
                "id": f"{pack.name}/{pol.name}",
                "name": pol.name,
                "shortDescription": {"text": pol.description or pol.name},
                "help": {"text": pol.remediation or pol.description or pol.name},
                "defaultConfiguration": {"level": _SARIF_LEVEL.get(pol.level, "note")},
                "properties": {"severity": pol.severity, "tags": pol.tags, "framework": pol.framework},
            }
            rules.append(rule)
    results = []
    blocking = outcome.blocking
    for f in outcome.findings:
        if f in blocking:  # a mandatory violation, or with --fail-on-unknown an unevaluable mandatory check
            level = "error"
        else:
            level = "note" if f.kind != "violation" else _SARIF_LEVEL.get(f.level, "warning")
        if not f.source_file:
            uri, line = "Pulumi.yaml", 1  # stack policies and library-made resources have no code line
        else:
            uri = Path(f.source_file).as_uri() if Path(f.source_file).is_absolute() else f.source_file
            line = max(f.source_line, 1)
        location: dict[str, Any] = {
            "physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": line},
            },
            "logicalLocations": [{"fullyQualifiedName": f.urn or "(stack)", "kind": "resource"}],
        }
        result: dict[str, Any] = {
            "ruleId": _rule_id(f),
            "level": level,
            "message": {"text": f"{f.message} ({f.resource_type} {f.resource_name})"},
            "locations": [location],
            "properties": {"kind": f.kind, "enforcementLevel": f.level, "severity": f.severity},
        }
        if _rule_id(f) in index:
            result["ruleIndex"] = index[_rule_id(f)]
        if f.kind == "exemption":
            result["suppressions"] = [{"kind": "external", "justification": f.message}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL, "informationUri": INFO_URI, "rules": rules}},
                "results": results,
                "properties": {"project": outcome.graph.project, "stack": outcome.graph.stack},
            }
        ],
    }


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """XML 1.0 cannot hold most control characters; a policy message may contain them."""
    return _XML_UNSAFE.sub("\ufffd", text)


def to_junit(outcome: Outcome) -> ET.Element:
    """One test suite per pack, one test case per policy; a mandatory violation fails the case."""
    suites = ET.Element("testsuites", name=TOOL)
    run_blockers = outcome.blocking
    for pack in outcome.packs:
        mine = [f for f in outcome.findings if f.pack == pack.name]
        suite = ET.SubElement(suites, "testsuite", name=pack.name, tests=str(len(pack.policies)))
        failures = skipped = 0
        for pol in pack.policies.values():
            case = ET.SubElement(suite, "testcase", classname=pack.name, name=pol.name)
            hits = [f for f in mine if f.policy == pol.name]
            blocking = [f for f in hits if f in run_blockers]
            if pol.level == "disabled":
                ET.SubElement(case, "skipped", message="disabled by policy config")
                skipped += 1
            elif blocking:
                failures += 1
                violations = sum(f.kind == "violation" for f in blocking)
                message = f"{violations} mandatory violation(s)" if violations else ""
                if len(blocking) > violations:  # --fail-on-unknown
                    message += ("; " if message else "") + f"{len(blocking) - violations} not evaluable"
                failure = ET.SubElement(case, "failure", type="mandatory", message=message)
                failure.text = _xml_text("\n".join(f"{f.urn}: {f.message}" for f in blocking))
            unknown = [f for f in hits if f.kind == "unknown"]
            if unknown and not blocking and pol.level != "disabled" and len(unknown) == len(hits):
                ET.SubElement(case, "skipped",
                              message=f"could not evaluate {len(unknown)} resource(s): values unknown during preview")
                skipped += 1
            if hits and not blocking:
                out = ET.SubElement(case, "system-out")
                out.text = _xml_text("\n".join(f"[{f.kind}/{f.level}] {f.urn}: {f.message}" for f in hits))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
        suite.set("errors", "0")
    return suites


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def to_markdown(outcome: Outcome, status: str) -> str:
    s = outcome.summary()
    lines = [
        f"## preflight: `{outcome.graph.project}` / `{outcome.graph.stack}`: **{status}**",
        "",
        f"{s['resources']} resources checked by {s['policies']} policies"
        + (f" ({s['disabledPolicies']} disabled by policy config)" if s["disabledPolicies"] else "")
        + f" in {s['packs']} pack(s) ({', '.join(p.name for p in outcome.packs)}).",
        "",
        "| mandatory | advisory | not evaluable in preview | exemptions used | charts not rendered "
        "| disabled by policy config |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {s['mandatory']} | {s['advisory']} | {s['unknown']} | {s['exemptions']} | {s['unrenderedCharts']} "
        f"| {s['disabledPolicies']} |",
        "",
    ]
    if outcome.disabled:
        lines += [
            f"> **Disabled by policy config:** {s['disabledPolicies']} of {s['policies']} policies checked nothing.",
            "",
            "| pack | disabled | policies |",
            "|---|---:|---|",
        ]
        lines += [f"| `{pack}` | {len(names)} of {total} | {', '.join(f'`{n}`' for n in names)} |"
                  for pack, names, total in outcome.disabled]
        lines.append("")
    if outcome.unrendered:
        lines += [
            f"> **Not checked:** {len(outcome.unrendered)} Helm chart(s) are rendered by the Kubernetes provider "
            "inside the real engine. Offline, packs checked each chart's version and values but not the objects "
            "it creates: " + ", ".join(f"`{n}`" for n in outcome.unrendered) + ". A real "
            "`pulumi preview --policy-pack` checks them.",
            "",
        ]
    violations = [f for f in outcome.findings if f.kind == "violation"]
    if violations:
        lines += ["### Findings", "", "| severity | level | policy | resource | finding | remediation |",
                  "|---|---|---|---|---|---|"]
        lines += [
            f"| {f.severity} | {f.level} | `{f.pack}/{f.policy}` | `{f.resource_name}` ({f.resource_type}) | "
            f"{_md_cell(f.message)} | {_md_cell(f.remediation)} |"
            for f in violations
        ]
        lines.append("")
    exemptions = outcome.of_kind("exemption")
    if exemptions:
        lines += ["### Exemptions in use", "", "| policy | resource | exemption |", "|---|---|---|"]
        lines += [f"| `{f.pack}/{f.policy}` | `{f.resource_name}` ({f.resource_type}) | {_md_cell(f.message)} |"
                  for f in exemptions]
        lines.append("")
    failing = outcome.blocking_unknown
    if failing:
        lines += ["### Not evaluable, failing the run (`--fail-on-unknown`)", "",
                  "| policy | resource | type | why |", "|---|---|---|---|"]
        lines += [f"| `{f.pack}/{f.policy}` | `{f.resource_name}` | {f.resource_type} | {_md_cell(f.message)} |"
                  for f in failing]
        lines.append("")
    unknown = [f for f in outcome.of_kind("unknown") if f not in failing]
    if unknown:
        lines += ["<details><summary>Checks that could not run on values unknown until apply "
                  f"({len(unknown)}): a real preview cannot see them either; `pulumi up` runs them again "
                  "with the values known</summary>", "",
                  "| policy | resource | type | why |", "|---|---|---|---|"]
        lines += [f"| `{f.pack}/{f.policy}` | `{f.resource_name}` | {f.resource_type} | {_md_cell(f.message)} |"
                  for f in unknown]
        lines += ["", "</details>", ""]
    if outcome.notes:
        lines += ["### Notes", ""] + [f"- {n}" for n in outcome.notes] + [""]
    return "\n".join(lines)
