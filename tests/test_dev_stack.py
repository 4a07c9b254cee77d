"""The program end to end under mocks: Pulumi.dev.yaml's config through __main__.py."""

from __future__ import annotations

import json
import runpy
from collections import Counter
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime.mocks import MockResourceArgs

from components.errors import ConfigError
from tests.mocks import ROOT, PlatformMocks, engine_config, run, run_main

P = "devsecops-platform"

# The dev stack: the whole network and cluster (Pulumi.dev.yaml: 3 zones, a single NAT gateway,
# one node group, one admin access entry, one private-endpoint CIDR), the mesh, the three-service
# sample application and the observability stack.
DEV_STACK_RESOURCES = Counter({
    "devsecops:platform:Platform": 1,
    "devsecops:network:Network": 1,
    "devsecops:cluster:EksCluster": 1,
    # network
    "aws:ec2/vpc:Vpc": 1,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
    "aws:ec2/internetGateway:InternetGateway": 1,
    "aws:ec2/subnet:Subnet": 6,
    "aws:ec2/routeTable:RouteTable": 4,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": 6,
    "aws:ec2/eip:Eip": 1,
    "aws:ec2/natGateway:NatGateway": 1,
    "aws:ec2/flowLog:FlowLog": 1,
    # network and cluster: flow-log and control-plane log groups, their keys, the secrets key
    "aws:cloudwatch/logGroup:LogGroup": 2,
    "aws:kms/key:Key": 4,
    # roles: flow logs, control plane, VPC CNI (IRSA), nodes
    "aws:iam/role:Role": 7,
    "aws:iam/rolePolicy:RolePolicy": 5,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 5,
    # cluster
    "aws:ec2/securityGroup:SecurityGroup": 1,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 1,
    "aws:eks/cluster:Cluster": 1,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": 2,
    "aws:eks/accessEntry:AccessEntry": 2,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": 2,
    "aws:eks/addon:Addon": 4,
    "aws:ec2/launchTemplate:LaunchTemplate": 2,
    "aws:eks/nodeGroup:NodeGroup": 2,
    "pulumi:providers:kubernetes": 1,
    # the mesh (charts: base, cni, istiod, ingress gateway) and its mesh-wide policy, gateway, telemetry
    "devsecops:mesh:ServiceMesh": 1,
    "kubernetes:security.istio.io/v1:PeerAuthentication": 1,
    "kubernetes:telemetry.istio.io/v1:Telemetry": 1,
    "kubernetes:networking.istio.io/v1:Gateway": 1,
    # the sample app: frontend, orders, payments, each derived from its declaration
    "devsecops:mesh:Microservice": 3,
    "kubernetes:apps/v1:Deployment": 3,
    "kubernetes:core/v1:Service": 3,
    "kubernetes:core/v1:ServiceAccount": 4,
    "kubernetes:policy/v1:PodDisruptionBudget": 3,
    "kubernetes:networking.istio.io/v1:DestinationRule": 3,
    "kubernetes:networking.istio.io/v1:Sidecar": 3,
    "kubernetes:networking.istio.io/v1:VirtualService": 4,
    "kubernetes:networking.istio.io/v1:ServiceEntry": 1,
    "kubernetes:security.istio.io/v1:AuthorizationPolicy": 5,
    "kubernetes:security.istio.io/v1:RequestAuthentication": 2,
    # observability: its charts, dashboards, rules and monitors
    "devsecops:observability:Observability": 1,
    "kubernetes:core/v1:ConfigMap": 5,
    "kubernetes:monitoring.coreos.com/v1:PodMonitor": 2,
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": 5,
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": 1,
    # shared by mesh, app and observability: namespaces, default-deny and allow policies, charts
    "kubernetes:core/v1:Namespace": 11,
    # ... with a default-deny egress and its allow list in argocd, observability and observability-node
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": 29,
    "kubernetes:helm.sh/v4:Chart": 13,
    # CI: pipeline identities (GitHub OIDC provider, preview and deploy roles, the preview role's
    # view-only access entry), runners (controller + scale set, IRSA push role), ECR, Argo CD
    "devsecops:ci:PipelineIdentities": 1,
    "devsecops:ci:CiRunners": 1,
    "devsecops:ci:ArtifactRegistry": 1,
    "devsecops:ci:GitOps": 1,
    "aws:ecr/repository:Repository": 3,
    "aws:ecr/repositoryPolicy:RepositoryPolicy": 3,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": 3,
    "kubernetes:core/v1:Secret": 1,
    "kubernetes:rbac.authorization.k8s.io/v1:Role": 6,
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": 6,
    "kubernetes:argoproj.io/v1alpha1:AppProject": 1,
    "kubernetes:argoproj.io/v1alpha1:Application": 1,
})


def test_dev_stack_registers_the_whole_platform() -> None:
    recording = run_main(engine_config(ROOT / "Pulumi.dev.yaml"))
    assert recording.counts() == DEV_STACK_RESOURCES
    assert recording.warnings() == []  # no insecure option in the dev stack
    platform = recording.one("devsecops:platform:Platform")
    assert {r.type for r in recording.children_of(platform)} == {
        "devsecops:network:Network", "devsecops:cluster:EksCluster", "devsecops:mesh:ServiceMesh",
        "devsecops:mesh:Microservice", "devsecops:observability:Observability", "devsecops:ci:PipelineIdentities",
        "devsecops:ci:CiRunners", "devsecops:ci:ArtifactRegistry", "devsecops:ci:GitOps"}
    cluster = recording.one("aws:eks/cluster:Cluster").inputs
    assert cluster["name"] == "devsecops-dev"
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False
    assert cluster["vpcConfig"]["subnetIds"] == [
        f"platform-network-private-us-east-1{z}-id" for z in "abc"]


def test_config_error_stops_the_program_before_any_resource() -> None:
    config = engine_config(ROOT / "Pulumi.dev.yaml")
    cluster = json.loads(config[f"{P}:cluster"])
    cluster["nodeGroups"][0]["minSize"] = 9
    config[f"{P}:cluster"] = json.dumps(cluster)
    caught: list[ConfigError] = []

    def program() -> None:
        try:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        except ConfigError as err:
            caught.append(err)

    recording = run(program, config=config)
    assert [(e.key, e.value) for e in caught] == [("cluster.nodeGroups[0].minSize", 9)]
    assert recording.resources == []


def test_existing_cluster_stack_only_makes_a_provider() -> None:
    kubeconfig = "apiVersion: v1\nkind: Config\ncontexts: [{name: corp}]\ncurrent-context: corp\n"
    config = {f"{P}:cluster": json.dumps({"mode": "existing"}), f"{P}:kubeconfig": kubeconfig,
              f"{P}:network": "{}", f"{P}:tags": "{}"}
    recording = run_main(config, secret_keys=[f"{P}:kubeconfig"])
    assert recording.counts() == Counter({"devsecops:platform:Platform": 1,
                                          "devsecops:cluster:ExistingCluster": 1,
                                          "pulumi:providers:kubernetes": 1})


class _EchoOnly(PlatformMocks):
    """What a minimal mock monitor gives back: the inputs, nothing AWS would compute."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)


def test_dev_stack_previews_with_unknown_computed_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    # In a preview of a new stack the cluster's endpoint, OIDC issuer, ARNs... are unknown; the
    # program must still register everything (preflight runs it this way).
    monkeypatch.setattr("tests.mocks.PlatformMocks", _EchoOnly)
    recording = run_main(engine_config(ROOT / "Pulumi.dev.yaml"), preview=True)
    assert recording.counts() == DEV_STACK_RESOURCES
    oidc = recording.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "platform-cluster-oidc")
    assert isinstance(oidc.inputs["url"], Unknown)  # unknown in preview, not invented
