"""aws-baseline: the pack starts as the Pulumi engine starts it and answers over gRPC."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import IO

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from tests.packharness import ROOT, add_pack_to_path

add_pack_to_path("aws-baseline")
from aws_baseline import POLICIES  # noqa: E402

PACK = ROOT / "policypacks" / "aws-baseline"
START_TIMEOUT = 60.0


def _first_line(stream: IO[str], timeout: float) -> str:
    """The first line of `stream`, or "" if none arrives in time (a hung pack must not hang the tests)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # The engine runs `pulumi-analyzer-policy-python <engine address> <pack dir>` in the pack
    # directory, i.e. `python -u -m pulumi.policy`, and reads the port from the first stdout line.
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK)],
        cwd=PACK,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = _first_line(process.stdout, START_TIMEOUT)
        if not line.strip().isdigit():
            process.kill()
            _, stderr = process.communicate(timeout=10)
            pytest.fail(f"pack did not print its port (got {line!r}); stderr:\n{stderr}")
        with grpc.insecure_channel(f"127.0.0.1:{line.strip()}") as channel:
            grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=10)


def test_get_analyzer_info_lists_every_policy_with_metadata(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "aws-baseline"
    served = {p.name: p for p in info.policies}
    assert set(served) == {p.name for p in POLICIES}
    for policy in info.policies:
        assert policy.severity != proto.POLICY_SEVERITY_UNSPECIFIED, policy.name
        assert policy.framework.reference and policy.framework.specification, policy.name
        assert policy.remediation_steps, policy.name
    assert served["vpc-flow-logs"].policy_type == proto.PolicyType.POLICY_TYPE_STACK
    assert served["eks-access-entries-only"].enforcementLevel == proto.ADVISORY
    version_schema = served["eks-supported-version"].configSchema.properties["minimumVersion"]
    assert version_schema["default"] == "1.32"


def test_analyze_over_grpc_reports_a_public_endpoint(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    props = struct_pb2.Struct()
    props.update(
        {"roleArn": "arn", "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}}
    )
    request = proto.AnalyzeRequest(
        type="aws:eks/cluster:Cluster",
        properties=props,
        urn="urn:pulumi:dev::p::aws:eks/cluster:Cluster::c",
        name="c",
    )
    response = analyzer.Analyze(request)
    endpoint = [d for d in response.diagnostics if d.policyName == "eks-endpoint-restricted"]
    assert len(endpoint) == 1
    assert "vpcConfig.publicAccessCidrs[0] is 0.0.0.0/0" in endpoint[0].message
    assert endpoint[0].enforcementLevel == proto.MANDATORY
