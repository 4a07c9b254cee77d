"""End-to-end: the dev stack through preflight with the real packs, and deliberately insecure
variants of it, each of which must fail with exactly the policies it breaks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.preflight_run import FIXTURES, ROOT, Run, preflight

PACKS = sorted(p.name for p in (ROOT / "policypacks").iterdir() if (p / "PulumiPolicy.yaml").exists())


def _pack_args() -> list[str]:
    args = []
    for pack in PACKS:
        args += ["--policy-pack", f"policypacks/{pack}"]
    for pack in PACKS:
        args += ["--policy-pack-config", f"policypacks/config/dev/{pack}.json"]
    return args


def _dev_config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())  # type: ignore[no-any-return]


def _run_with(config: dict[str, Any], tmp_path: Path) -> Run:
    path = tmp_path / "Pulumi.insecure.yaml"
    path.write_text(yaml.safe_dump(config))
    return preflight("-s", "insecure", "--config-file", str(path), *_pack_args(), out=tmp_path / "out")


@pytest.fixture(scope="module")
def dev_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return preflight("-s", "dev", *_pack_args(), out=tmp_path_factory.mktemp("dev"))


def test_dev_stack_has_no_mandatory_violation(dev_run: Run) -> None:
    assert dev_run.code == 0, dev_run.stdout + dev_run.stderr
    report = dev_run.report()
    assert report["status"] == "pass"
    assert report["summary"]["mandatory"] == 0
    assert {p["name"] for p in report["packs"]} >= {"aws-baseline", "kubernetes-baseline"}


def test_dev_stack_reports_the_whole_platform(dev_run: Run) -> None:
    types = dev_run.report()["resourceTypes"]
    for token, count in {
        "aws:ec2/vpc:Vpc": 1,
        "aws:ec2/subnet:Subnet": 6,
        "aws:ec2/flowLog:FlowLog": 1,
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
        "aws:eks/cluster:Cluster": 1,
        "aws:eks/nodeGroup:NodeGroup": 2,
        "aws:ec2/launchTemplate:LaunchTemplate": 2,
        "aws:eks/addon:Addon": 4,
        "aws:kms/key:Key": 4,
        "aws:cloudwatch/logGroup:LogGroup": 2,
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": 2,
        "aws:eks/accessEntry:AccessEntry": 2,
        "pulumi:providers:kubernetes": 1,
        "devsecops:mesh:ServiceMesh": 1,
        "devsecops:mesh:Microservice": 3,
        "devsecops:observability:Observability": 1,
        "devsecops:ci:CiRunners": 1,
        "devsecops:ci:GitOps": 1,
    }.items():
        assert types.get(token) == count, (token, types.get(token))
    graph = json.loads((dev_run.out / "graph.json").read_text())
    assert len(graph["resources"]) == dev_run.report()["summary"]["resources"]
    # every line of the console summary's type table is backed by the graph
    assert f"{types['aws:ec2/subnet:Subnet']:4d}  aws:ec2/subnet:Subnet" in dev_run.stdout


def _set(config: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    node: Any = config["config"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


CLUSTER = "devsecops-platform:cluster"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ([CLUSTER, "insecure"], {"disableSecretsEncryption": True},
         {("eks-secrets-encrypted", "platform-cluster-eks")}),
        ([CLUSTER, "insecure"], {"disableControlPlaneLogs": True},
         {("eks-control-plane-logs", "platform-cluster-eks")}),
        ([CLUSTER, "nodeGroups", 0, "insecure"], {"allowImdsv1": True},
         {("nodes-imdsv2-required", "platform-cluster-system")}),
        ([CLUSTER, "insecure"], {"nodePortIngressCidrs": ["0.0.0.0/0"]},
         {("sg-no-public-ingress", "platform-cluster-nodeport-0")}),
    ],
    ids=["no-secrets-encryption", "no-control-plane-logs", "imdsv1", "open-security-group"],
)
def test_insecure_option_fails_with_exactly_its_policy(
    path: list[str | int], value: Any, expected: set[tuple[str, str]], tmp_path: Path
) -> None:
    run = _run_with(_set(_dev_config(), path, value), tmp_path)
    assert run.code == 1, run.stdout + run.stderr
    assert run.mandatory() == expected


def test_public_endpoint_program_fails_with_endpoint_policy(tmp_path: Path) -> None:
    run = preflight("-C", str(FIXTURES / "programs" / "public-endpoint"), "-s", "dev",
                    "--config-file", str(ROOT / "Pulumi.dev.yaml"),
                    "--policy-pack", str(ROOT / "policypacks" / "aws-baseline"), out=tmp_path)
    assert run.code == 1, run.stdout + run.stderr
    assert run.mandatory() == {("eks-endpoint-restricted", "platform-cluster-eks")}


@pytest.mark.parametrize(
    ("path", "value", "phrases"),
    [
        ([CLUSTER, "endpointPublicAccessCidrs"], ["0.0.0.0/0"], ["cluster.endpointPublicAccessCidrs", "0.0.0.0/0"]),
        ([CLUSTER, "kubernetesVersion"], "1.21", ["cluster.kubernetesVersion", "1.21", "1.32"]),
        (["devsecops-platform:network", "cidr"], "10.20.0.0/33", ["network.cidr", "10.20.0.0/33"]),
        ([CLUSTER, "nodeGroups", 0, "minSize"], 9, ["nodeGroups[0]", "9"]),
        ([CLUSTER, "surprise"], True, ["surprise"]),
    ],
    ids=["public-0.0.0.0/0", "old-version", "bad-cidr", "min-above-max", "unknown-key"],
)
def test_invalid_stack_config_exits_2_before_any_resource(
    path: list[str | int], value: Any, phrases: list[str], tmp_path: Path
) -> None:
    run = _run_with(_set(_dev_config(), path, value), tmp_path)
    assert run.code == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert "invalid config" in run.stderr and "Pulumi.insecure.yaml" in run.stderr
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr
    assert run.report()["status"] == "error"
    assert not (tmp_path / "out" / "report.sarif").exists()


def test_unrendered_charts_are_named_not_passed_silently(dev_run: Run) -> None:
    charts = dev_run.report()["resourceTypes"]["kubernetes:helm.sh/v4:Chart"]
    assert dev_run.report()["summary"]["unrenderedCharts"] == charts == 13
    assert "NOT CHECKED: 13 Helm chart(s)" in dev_run.stdout
    assert "PASS: no mandatory violations in what was checked" in dev_run.stdout
    assert "**Not checked:** 13 Helm chart(s)" in (dev_run.out / "report.md").read_text()


def test_insecure_option_warning_reaches_the_report(tmp_path: Path) -> None:
    run = _run_with(_set(_dev_config(), [CLUSTER, "insecure"], {"disableControlPlaneLogs": True}), tmp_path)
    assert any("insecure option" in n and "disable_control_plane_logs_insecure" in n for n in run.report()["notes"])
    assert "the program logged: warning: insecure option" in run.stdout


def test_dev_py_lets_a_user_swap_one_packs_config(tmp_path: Path) -> None:
    off = tmp_path / "off.json"
    off.write_text(json.dumps({"all": "disabled"}))
    # Run from another directory, with paths relative to it, as a user would.
    done = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "preflight", "--policy-pack-config",
         "policypacks/kubernetes-baseline=off.json", "--out", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # the other packs kept their dev config
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    disabled = report["disabledByPolicyConfig"]
    assert list(disabled) == ["kubernetes-baseline"] and len(disabled["kubernetes-baseline"]) == 32
    assert "DISABLED: 32 of 89 policies" in done.stdout and "(kubernetes-baseline 32 of 32)" in done.stdout
