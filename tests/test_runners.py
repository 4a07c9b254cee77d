"""CiRunners under mocks: pinned charts, restricted pods, tainted nodes, network policy, IRSA."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.chart_source import ChartSource
from components.runners import (
    ARC_VERSION,
    NON_PUBLIC_RANGES,
    RUNNER_NODE_LABEL,
    RUNNER_NODE_TAINT,
    CiRunners,
    CiRunnersArgs,
    GitHubAppCredentials,
    RunnerScaleSetArgs,
    iam_role_name,
)
from tests.ci_mocks import ACCOUNT, RecordingMocks, build, is_secret, policy, provider, unsecret

OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"
RESTRICTED = {"allowPrivilegeEscalation": False, "privileged": False, "runAsNonRoot": True,
              "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def _scale_set(**kwargs: Any) -> RunnerScaleSetArgs:
    base: dict[str, Any] = {"name": "platform", "github_config_url": "https://github.com/acme",
                            "github_app_secret_name": "arc-app"}
    base.update(kwargs)
    return RunnerScaleSetArgs(**base)


def _runners(*scale_sets: RunnerScaleSetArgs, **kwargs: Any) -> tuple[RecordingMocks, CiRunners]:
    args = CiRunnersArgs(scale_sets=list(scale_sets) or [_scale_set()], **kwargs)
    return build(
        lambda: CiRunners("ci", args, k8s_provider=provider(), oidc_provider_arn=OIDC_ARN, oidc_issuer_url=ISSUER,
                          vpc_egress_cidrs=["10.0.0.0/19"])
    )


def _chart(mocks: RecordingMocks, name: str) -> dict[str, Any]:
    return mocks.one("kubernetes:helm.sh/v4:Chart", name).inputs


def test_charts_are_the_official_oci_charts_at_pinned_versions() -> None:
    mocks, _ = _runners()
    controller = _chart(mocks, "ci-controller")
    assert controller["chart"] == "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set-controller"
    assert controller["version"] == ARC_VERSION == "0.15.0"
    assert controller["namespace"] == "arc-systems"
    scale_set = _chart(mocks, "ci-platform")
    assert scale_set["chart"] == "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set"
    assert scale_set["version"] == "0.15.0"
    assert scale_set["namespace"] == "arc-platform"
    assert "repositoryOpts" not in scale_set


def test_chart_sources_can_be_overridden_for_air_gapped_clusters() -> None:
    mocks, _ = _runners(
        controller_chart=ChartSource("./vendor/gha-runner-scale-set-controller-0.15.0.tgz", "0.15.0"),
        scale_set_chart=ChartSource("gha-runner-scale-set", "0.15.0", "https://charts.internal.example"),
    )
    assert _chart(mocks, "ci-controller")["chart"] == "./vendor/gha-runner-scale-set-controller-0.15.0.tgz"
    scale_set = _chart(mocks, "ci-platform")
    assert scale_set["chart"] == "gha-runner-scale-set"
    assert scale_set["repositoryOpts"] == {"repo": "https://charts.internal.example"}


def test_controller_and_runners_have_separate_restricted_namespaces() -> None:
    mocks, runners = _runners()
    namespaces = {r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"]
                  for r in mocks.of_type("kubernetes:core/v1:Namespace")}
    assert sorted(namespaces) == ["arc-platform", "arc-systems"]
    for labels in namespaces.values():
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    assert runners.runner_namespaces == {"platform": "arc-platform"}


def test_runner_pods_are_ephemeral_restricted_and_on_the_tainted_node_group() -> None:
    mocks, _ = _runners(_scale_set(min_runners=1, max_runners=8))
    values = _chart(mocks, "ci-platform")["values"]
    assert (values["minRunners"], values["maxRunners"]) == (1, 8)
    assert values["githubConfigUrl"] == "https://github.com/acme"
    assert values["githubConfigSecret"] == "arc-app"
    assert values["containerMode"] == {"type": "kubernetes-novolume"}
    assert values["controllerServiceAccount"] == {"namespace": "arc-systems", "name": "arc-gha-rs-controller"}
    spec = values["template"]["spec"]
    assert spec["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}, "runAsNonRoot": True,
                                       "runAsUser": 1001, "runAsGroup": 1001, "fsGroup": 1001}
    (runner,) = spec["containers"]
    assert runner["name"] == "runner"
    assert runner["image"] == "ghcr.io/actions/actions-runner:2.338.0"
    assert runner["securityContext"] == {**RESTRICTED, "runAsUser": 1001, "runAsGroup": 1001}
    assert runner["resources"]["limits"] == {"cpu": "2", "memory": "4Gi"}
    assert spec["nodeSelector"] == {RUNNER_NODE_LABEL[0]: RUNNER_NODE_LABEL[1]}
    assert spec["tolerations"] == [{"key": RUNNER_NODE_TAINT[0], "operator": "Equal", "value": RUNNER_NODE_TAINT[1],
                                    "effect": "NoSchedule"}]
    assert RUNNER_NODE_LABEL == ("devsecops.io/node-pool", "ci-runners")
    assert RUNNER_NODE_TAINT == ("devsecops.io/ci-runners", "true", "NoSchedule")
    listener = values["listenerTemplate"]["spec"]["containers"][0]
    assert listener["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_job_pods_get_the_restricted_hook_template_with_the_irsa_account() -> None:
    mocks, _ = _runners()
    runner = _chart(mocks, "ci-platform")["values"]["template"]["spec"]["containers"][0]
    assert runner["env"] == [{"name": "ACTIONS_RUNNER_CONTAINER_HOOK_TEMPLATE",
                              "value": "/home/runner/hook-template/template.yaml"}]
    config_map = mocks.one("kubernetes:core/v1:ConfigMap", "ci-platform-hook-template").inputs
    template = json.loads(config_map["data"]["template.yaml"])["spec"]
    assert template["serviceAccountName"] == "platform-ci"
    assert template["securityContext"]["runAsNonRoot"] is True
    assert template["containers"] == [{"name": "$job", "securityContext": RESTRICTED}]
    assert template["nodeSelector"] == {"devsecops.io/node-pool": "ci-runners"}


def test_no_docker_in_docker_or_privileged_container_by_default() -> None:
    mocks, _ = _runners()
    values = _chart(mocks, "ci-platform")["values"]
    assert values["containerMode"]["type"] != "dind"
    assert '"privileged": true' not in json.dumps(values)


def test_docker_in_docker_is_a_named_insecure_option() -> None:
    mocks, _ = _runners(_scale_set(docker_in_docker_insecure=True))
    values = _chart(mocks, "ci-platform")["values"]
    assert values["containerMode"] == {"type": "dind"}
    ns = mocks.one("kubernetes:core/v1:Namespace", "ci-platform").inputs
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_container_mode_none_gives_the_runner_irsa_and_no_api_token() -> None:
    mocks, _ = _runners(_scale_set(container_mode="none"))
    values = _chart(mocks, "ci-platform")["values"]
    assert "containerMode" not in values
    assert values["template"]["spec"]["automountServiceAccountToken"] is False
    assert values["template"]["spec"]["serviceAccountName"] == "platform-ci"
    assert mocks.of_type("kubernetes:core/v1:ConfigMap") == []


def test_network_policy_denies_ingress_and_allows_dns_and_https_only() -> None:
    mocks, _ = _runners()
    deny = mocks.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "ci-platform-default-deny").inputs
    assert deny["metadata"]["namespace"] == "arc-platform"
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    egress = mocks.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "ci-platform-allow-egress").inputs["spec"]
    assert egress["policyTypes"] == ["Egress"]
    assert "ingress" not in egress
    dns, public, vpc = egress["egress"]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert public == {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": NON_PUBLIC_RANGES}}],
                      "ports": [{"protocol": "TCP", "port": 443}]}
    assert "169.254.0.0/16" in NON_PUBLIC_RANGES  # instance metadata stays unreachable
    assert vpc == {"to": [{"ipBlock": {"cidr": "10.0.0.0/19"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    # The controller namespace is fenced the same way.
    assert mocks.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "ci-controller-default-deny")


def test_irsa_role_trusts_only_the_scale_sets_service_account() -> None:
    mocks, runners = _runners()
    trust = policy(mocks.one("aws:iam/role:Role", "ci-platform-push").inputs, "assumeRolePolicy")
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:arc-platform:platform-ci",
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        }
    }
    sa = mocks.one("kubernetes:core/v1:ServiceAccount", "ci-platform-ci").inputs
    assert sa["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/stack-ci-platform-push"
    }
    assert sa["automountServiceAccountToken"] is False
    # No ECR rights here: ArtifactRegistry attaches push for exactly its repositories.
    assert mocks.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert len(runners.push_role_names) == 1
    assert mocks.one("aws:iam/role:Role", "ci-platform-push").inputs["name"] == "stack-ci-platform-push"


def test_long_role_names_stay_within_the_iam_limit() -> None:
    name = iam_role_name("a-very-long-stack-name-for-production", "ci", "a-scale-set-with-a-long-name", "push")
    assert len(name) == 64
    assert name == iam_role_name("a-very-long-stack-name-for-production", "ci", "a-scale-set-with-a-long-name", "push")


def test_github_app_from_pulumi_secrets_becomes_a_kubernetes_secret() -> None:
    app = GitHubAppCredentials(app_id=pulumi.Output.secret("123"), installation_id=pulumi.Output.secret("456"),
                               private_key=pulumi.Output.secret("-----BEGIN KEY-----"))
    mocks, _ = _runners(_scale_set(github_app_secret_name=None, github_app=app))
    secret = mocks.one("kubernetes:core/v1:Secret", "ci-platform-github-app").inputs
    assert secret["metadata"] == {"name": "platform-github-app", "namespace": "arc-platform"}
    # The whole stringData travels as a Pulumi secret (engine secret signature), never in plaintext.
    assert is_secret(secret["stringData"])
    assert unsecret(secret["stringData"]) == {"github_app_id": "123", "github_app_installation_id": "456",
                                             "github_app_private_key": "-----BEGIN KEY-----"}
    assert "BEGIN KEY" not in json.dumps(_chart(mocks, "ci-platform")["values"])
    assert _chart(mocks, "ci-platform")["values"]["githubConfigSecret"] == "platform-github-app"


@pytest.mark.parametrize(
    ("scale_set", "problem"),
    [
        ({"github_app_secret_name": None}, "exactly one of github_app_secret_name and github_app"),
        ({"min_runners": 3, "max_runners": 2}, "min_runners <= max_runners"),
        ({"github_config_url": "http://github.com/acme"}, "github_config_url"),
        ({"namespace": "arc-systems"}, "must not share the controller namespace"),
        ({"name": "Bad_Name"}, "DNS label"),
        ({"cpu_limit": "lots"}, "not a Kubernetes quantity"),
    ],
)
def test_invalid_scale_sets_are_refused(scale_set: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        _runners(_scale_set(**scale_set))


def test_two_scale_sets_get_two_namespaces_and_two_roles() -> None:
    mocks, runners = _runners(_scale_set(), _scale_set(name="builds", container_mode="kubernetes"))
    assert runners.runner_namespaces == {"platform": "arc-platform", "builds": "arc-builds"}
    assert mocks.names("aws:iam/role:Role") == ["ci-builds-push", "ci-platform-push"]
    claim = _chart(mocks, "ci-builds")["values"]["containerMode"]["kubernetesModeWorkVolumeClaim"]
    assert claim["storageClassName"] == "gp3"
