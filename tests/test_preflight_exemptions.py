"""Exemptions are reported as exemptions, end to end: a privileged node agent in kube-system."""

from __future__ import annotations

import json
from pathlib import Path

from tests.preflight_run import FIXTURES, ROOT, preflight

PROGRAM = str(FIXTURES / "programs" / "k8s-exempt")
PACK = str(ROOT / "policypacks" / "kubernetes-baseline")
DEV_CONFIG = str(ROOT / "policypacks" / "config" / "dev" / "kubernetes-baseline.json")


def test_exempted_namespace_is_listed_as_an_exemption(tmp_path: Path) -> None:
    run = preflight("-C", PROGRAM, "--policy-pack", PACK, "--policy-pack-config", DEV_CONFIG, out=tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    exemptions = [f for f in run.report()["findings"] if f["kind"] == "exemption"]
    assert [(f["policy"], f["resource_name"]) for f in exemptions] == [("pod-security-exemption", "node-agent")]
    assert "namespace 'kube-system'" in exemptions[0]["message"] and "pss-privileged" in exemptions[0]["message"]
    md = (tmp_path / "report.md").read_text()
    assert "### Exemptions in use" in md and "node-agent" in md
    assert run.report()["summary"]["exemptions"] == 1


def test_without_the_exemption_the_same_agent_fails_pod_security(tmp_path: Path) -> None:
    config = tmp_path / "no-exemption.json"
    settings = json.loads(Path(DEV_CONFIG).read_text())
    settings["pod-security-exemption"]["exemptNamespaces"] = []
    config.write_text(json.dumps(settings))
    run = preflight("-C", PROGRAM, "--policy-pack", PACK, "--policy-pack-config", str(config), out=tmp_path / "out")
    assert run.code == 1, run.stdout + run.stderr
    # at the restricted level, upstream's restrictedVolumes check takes over from hostPathVolumes
    assert {p for p, _ in run.mandatory()} >= {"pss-privileged", "pss-host-namespaces", "pss-restricted-volumes"}
    assert not [f for f in run.report()["findings"] if f["kind"] == "exemption"]
