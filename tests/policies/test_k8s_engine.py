"""The pack starts the way the Pulumi engine starts it and answers GetAnalyzerInfo over gRPC."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc

from tests import packharness

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline import POLICIES  # noqa: E402

PACK_DIR = packharness.ROOT / "policypacks" / "kubernetes-baseline"
VENV_PYTHON = packharness.ROOT / ".venv" / "bin" / "python"
STARTUP_SECONDS = 30


def _python() -> str:
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


def _read_port(process: subprocess.Popen[str]) -> int:
    """The first stdout line is the port; a watchdog kills a pack that never prints it."""
    timer = threading.Timer(STARTUP_SECONDS, process.kill)
    timer.start()
    try:
        line = process.stdout.readline() if process.stdout else ""
    finally:
        timer.cancel()
    if not line.strip().isdigit():
        stderr = process.stderr.read() if process.stderr and process.poll() is not None else ""
        pytest.fail(f"pack printed {line!r} instead of a port; stderr: {stderr}")
    return int(line)


@pytest.fixture
def pack_port() -> Iterator[int]:
    # As the engine runs a Python pack: `python -u -m pulumi.policy <engine address> <pack dir>`,
    # in the pack directory. 127.0.0.1:1 stands in for the engine; the pack never calls it here.
    process = subprocess.Popen(
        [_python(), "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK_DIR)],
        cwd=PACK_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield _read_port(process)
    finally:
        process.kill()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def test_pack_serves_analyzer_info(pack_port: int) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{pack_port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=STARTUP_SECONDS)
        info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(
            empty_pb2.Empty(), timeout=STARTUP_SECONDS
        )
    assert info.name == "kubernetes-baseline"
    assert [p.name for p in info.policies] == [p.name for p in POLICIES]
    assert len(info.policies) == 32
    by_name = {p.name: p for p in info.policies}
    assert by_name["pss-privileged"].framework.reference == "AC-6"
    assert "level" in by_name["pod-security-exemption"].configSchema.properties


def test_pack_layout_is_what_the_cli_loads() -> None:
    manifest = (PACK_DIR / "PulumiPolicy.yaml").read_text()
    assert "runtime: python" in manifest and "version: 0.1.0" in manifest
    requirements = (PACK_DIR / "requirements.txt").read_text().split()
    assert requirements == ["pulumi==3.272.0", "pulumi-policy==1.21.0"]
    assert Path(PACK_DIR / "__main__.py").read_text().count("PolicyPack(") == 1
