"""The real Pulumi engine, offline: preview with a Python policy pack, then up rendering manifests to disk.

Runs the CLI and Kubernetes provider built by tools/build-engine.sh through tools/engine/run_pulumi.py
(local file state, passphrase secrets, PULUMI_HOME and HOME in a temp dir). Skips when Go or the
binaries are missing; see tools/engine/README.md for what is real and what is substituted.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BIN = ROOT / ".tools" / "bin"
RUNNER = ROOT / "tools" / "engine" / "run_pulumi.py"

if shutil.which("go") is None:
    pytest.skip(
        "Go is not installed: the engine tests need Go >= 1.26.6 to build the Pulumi CLI (tools/build-engine.sh)",
        allow_module_level=True,
    )
if not ((BIN / "pulumi").exists() and (BIN / "pulumi-resource-kubernetes").exists()):
    pytest.skip(
        f"the Pulumi engine is not built in {BIN}: run `bash tools/build-engine.sh` (first build 13-20 min)",
        allow_module_level=True,
    )

MANDATORY = re.compile(r"\[mandatory\]\s+container-limits-required\s+\(kubernetes:apps/v1:Deployment: web\)")
ADVISORY = re.compile(r"\[advisory\]\s+container-limits-required\s+\(kubernetes:apps/v1:Deployment: web\)")
MESSAGE = "container 'web' has no resources.limits (spec.template.spec.containers[0].resources.limits)"


@dataclass
class Run:
    code: int
    output: str


@dataclass
class Session:
    render_dir: Path
    preview: Run
    rendered_after_preview: bool
    up: Run


def _engine(tmp: Path, program: Path, *args: str) -> Run:
    done = subprocess.run(
        [sys.executable, str(RUNNER), "--program", str(program), "--work", str(tmp / "work"), *args],
        capture_output=True, text=True, timeout=240, check=False,
        env={**os.environ, "HOME": str(tmp / "home"), "PULUMI_CONFIG_PASSPHRASE": "engine-smoke"},
    )
    return Run(done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """One stack: preview with the pack as shipped (mandatory), then up with the pack made advisory."""
    tmp = tmp_path_factory.mktemp("engine")
    program = tmp / "program"
    shutil.copytree(FIXTURES / "k8s-render", program)  # the CLI writes Pulumi.dev.yaml next to it
    render_dir = tmp / "rendered"
    pack = ["--policy-pack", str(FIXTURES / "policy-pack")]
    preview = _engine(tmp, program, "--config", f"renderDir={render_dir}", *pack, "preview")
    rendered_after_preview = render_dir.exists()
    advisory = tmp / "advisory.json"
    advisory.write_text('{"container-limits-required": "advisory"}')
    up = _engine(tmp, program, *pack, "--policy-pack-config", str(advisory), "up", "--yes")
    return Session(render_dir, preview, rendered_after_preview, up)


def test_preview_fails_on_the_mandatory_violation(session: Session) -> None:
    out = session.preview.output
    assert session.preview.code == 1, out
    assert MANDATORY.search(out), out
    assert MESSAGE in out
    assert "engine-smoke@v0.1.0" in out  # name from the pack, version from its PulumiPolicy.yaml
    assert "error: preview failed" in out


def test_preview_plans_the_program_without_rendering(session: Session) -> None:
    out = session.preview.output
    for line in ("kubernetes:core/v1:Namespace smoke create", "kubernetes:apps/v1:Deployment web create"):
        assert line in out, out
    assert not session.rendered_after_preview  # render mode writes on update only


def test_up_with_the_policy_advisory_succeeds_and_reports_it(session: Session) -> None:
    out = session.up.output
    assert session.up.code == 0, out
    assert ADVISORY.search(out), out
    assert not MANDATORY.search(out)
    assert "+ 4 created" in out  # stack, provider, namespace, deployment


def test_up_renders_one_manifest_per_resource(session: Session) -> None:
    files = sorted(session.render_dir.rglob("*.yaml"))
    assert [f.name for f in files] == ["apps_v1-deployment-smoke-web.yaml", "v1-namespace-default-smoke.yaml"]
    deployment, namespace = (yaml.safe_load(f.read_text()) for f in files)
    assert (namespace["kind"], namespace["metadata"]["name"]) == ("Namespace", "smoke")
    assert deployment["kind"] == "Deployment"
    assert deployment["metadata"] == {"name": "web", "namespace": "smoke"}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container == {"image": "nginx:1.27", "name": "web"}
