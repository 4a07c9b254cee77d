"""observability-baseline: every policy's metadata, and the pack started as the engine starts it."""

from __future__ import annotations

import re
import subprocess
import sys
import threading

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from tests.packharness import ROOT, add_pack_to_path

add_pack_to_path("observability-baseline")
from observability_baseline import POLICIES  # noqa: E402

PACK_DIR = "policypacks/observability-baseline"
EXPECTED = {
    "observability-signals-present": ("stack", Severity.HIGH),
    "telemetry-access-logging-enabled": ("resource", Severity.HIGH),
    "grafana-admin-credentials-from-secret": ("resource", Severity.CRITICAL),
}


def test_the_pack_has_exactly_the_documented_policies() -> None:
    assert {p.name for p in POLICIES} == set(EXPECTED)
    readme = (ROOT / PACK_DIR / "README.md").read_text()
    for name in EXPECTED:
        assert f"`{name}`" in readme


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_policy_metadata(policy: object) -> None:
    name = policy.name  # type: ignore[attr-defined]
    kind, severity = EXPECTED[name]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert isinstance(policy, StackValidationPolicy) == (kind == "stack")
    assert policy.severity == severity  # type: ignore[attr-defined]
    assert policy.enforcement_level == EnforcementLevel.MANDATORY  # type: ignore[attr-defined]
    assert len(policy.description) > 40  # type: ignore[attr-defined]
    assert len(policy.remediation_steps or "") > 40  # type: ignore[attr-defined]
    fw = policy.framework  # type: ignore[attr-defined]
    assert (fw.name, fw.version) == ("NIST SP 800-53", "Rev. 5")
    assert re.fullmatch(r"[A-Z]{2}-\d+", fw.reference)
    assert fw.specification
    tags = policy.tags  # type: ignore[attr-defined]
    assert f"nist-800-53:{fw.reference}" in tags
    assert f"sp-800-204:{fw.specification}" in tags


def test_configurable_policies_declare_a_schema_with_defaults() -> None:
    by_name = {p.name: p for p in POLICIES}
    signals = by_name["observability-signals-present"].config_schema
    assert signals is not None
    collectors = signals.properties["logCollectorCharts"]["default"]
    assert collectors == ["alloy", "promtail", "fluent-bit", "fluentd", "vector"]
    telemetry = by_name["telemetry-access-logging-enabled"].config_schema
    assert telemetry is not None and telemetry.properties["rootNamespace"]["default"] == "istio-system"
    assert by_name["grafana-admin-credentials-from-secret"].config_schema is None


def _first_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    box: list[bytes] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return box[0].decode().strip() if box else ""


def test_pack_starts_as_the_engine_starts_it_and_answers_over_grpc() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", PACK_DIR],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        port = _first_line(proc, 60)
        assert port.isdigit(), f"the pack printed {port!r}; stderr: {proc.stderr.read(2000) if proc.poll() else ''!r}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)

        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        assert info.name == "observability-baseline"
        assert {p.name for p in info.policies} == set(EXPECTED)
        by_name = {p.name: p for p in info.policies}
        assert by_name["grafana-admin-credentials-from-secret"].severity == proto.POLICY_SEVERITY_CRITICAL
        assert by_name["telemetry-access-logging-enabled"].framework.reference == "AU-12"

        props = struct_pb2.Struct()
        props.update({"metadata": {"name": "mesh-default", "namespace": "istio-system"},
                      "spec": {"accessLogging": [{"disabled": True}]}})
        response = stub.Analyze(proto.AnalyzeRequest(
            type="kubernetes:telemetry.istio.io/v1:Telemetry", properties=props,
            urn="urn:pulumi:dev::p::kubernetes:telemetry.istio.io/v1:Telemetry::mesh-default", name="mesh-default",
        ))
        assert [d.policyName for d in response.diagnostics] == ["telemetry-access-logging-enabled"]
        assert response.diagnostics[0].enforcementLevel == proto.MANDATORY
        channel.close()
    finally:
        proc.kill()
        proc.wait()
