"""cicd-baseline metadata, and the pack started as the Pulumi engine starts it."""

from __future__ import annotations

import re
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel

from tests.packharness import ROOT
from tests.policies.cicd_pack import POLICIES

EXPECTED = {
    "cicd-no-iam-access-keys": ("IA-5", "C-4.6-2"),
    "cicd-oidc-trust-pinned-to-repository": ("AC-6", "C-4.6-2"),
    "cicd-ecr-immutable-and-scanned": ("RA-5", "C-4.8.1-4"),
    "cicd-ecr-policy-explicit-principals": ("AC-3", "C-4.6-3"),
    "cicd-ecr-repository-has-policy": ("AC-3", "C-4.6-3"),
    "cicd-gitops-not-cluster-admin": ("AC-6", "C-4.7-2"),
    "cicd-runner-pods-not-privileged": ("CM-7", "C-4.6-1"),
    "cicd-ci-role-no-cluster-write": ("AC-6", "C-4.7-1"),
}
PACK = ROOT / "policypacks" / "cicd-baseline"


def test_every_policy_carries_complete_metadata() -> None:
    assert sorted(p.name for p in POLICIES) == sorted(EXPECTED)
    for policy in POLICIES:
        control, item = EXPECTED[policy.name]
        assert re.fullmatch(r"cicd(-[a-z0-9]+)+", policy.name)
        assert policy.description and policy.remediation_steps
        assert policy.severity is not None
        assert policy.enforcement_level == EnforcementLevel.MANDATORY
        framework = policy.framework
        assert framework is not None
        assert (framework.name, framework.version) == ("NIST SP 800-53", "Rev. 5")
        assert (framework.reference, framework.specification) == (control, item)
        assert f"nist-800-53:{control}" in (policy.tags or [])
        assert f"sp-800-204:{item}" in (policy.tags or [])


def test_configurable_policies_declare_their_schema() -> None:
    schemas = {p.name: p.config_schema for p in POLICIES if p.config_schema is not None}
    assert sorted(schemas) == ["cicd-ci-role-no-cluster-write", "cicd-gitops-not-cluster-admin",
                               "cicd-oidc-trust-pinned-to-repository"]
    assert "allowedSubjectPatterns" in schemas["cicd-oidc-trust-pinned-to-repository"].properties


def test_readme_documents_every_policy() -> None:
    readme = (PACK / "README.md").read_text()
    for name, (control, item) in EXPECTED.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}`")), "")
        assert control in row and item in row, name


def test_pack_starts_as_the_engine_starts_it_and_answers_get_analyzer_info() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK)],
        cwd=PACK, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        if not port.isdigit():
            proc.kill()
            stderr = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"the pack printed {port!r} instead of a port; stderr: {stderr}")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert info.name == "cicd-baseline"
        assert sorted(p.name for p in info.policies) == sorted(EXPECTED)
        by_name = {p.name: p for p in info.policies}
        assert by_name["cicd-runner-pods-not-privileged"].framework.specification == "C-4.6-1"
    finally:
        proc.kill()
        proc.wait(timeout=10)
