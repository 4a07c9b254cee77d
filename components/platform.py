"""The whole platform as one component: network -> cluster -> mesh -> services, plus the
observability stack and CI (pipeline identities, runners, registry, GitOps), each given the
previous one's outputs and its own typed Args."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import EksCluster, ExistingCluster
from components.cluster_args import EksClusterArgs
from components.config import PlatformConfig
from components.gitops import GitOps
from components.identities import PipelineIdentities
from components.mesh import ServiceMesh
from components.microservice import Microservice, deploy_services
from components.network import Network
from components.observability import Observability
from components.registry import ArtifactRegistry
from components.runners import CiRunners


class Platform(pulumi.ComponentResource):
    """Everything a stack deploys, built from its validated `PlatformConfig`."""

    network: Network | None
    cluster: EksCluster | ExistingCluster
    k8s_provider: k8s.Provider
    mesh: ServiceMesh | None
    services: list[Microservice]
    observability: Observability | None
    ci: CiParts | None

    def __init__(self, name: str, config: PlatformConfig,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("devsecops:platform:Platform", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if isinstance(config.cluster, EksClusterArgs):
            if config.network is None:  # config.load() refuses this; a hand-built config might not
                raise ValueError("a managed cluster needs PlatformConfig.network")
            self.network = Network(f"{name}-network", config.network, opts=child)
            self.cluster = EksCluster(f"{name}-cluster", config.cluster, self.network.for_cluster(),
                                      opts=child)
        else:
            self.network = None
            self.cluster = ExistingCluster(f"{name}-cluster", config.cluster, opts=child)
        # Everything on the cluster goes through its provider.
        self.k8s_provider = self.cluster.k8s_provider
        on_cluster = pulumi.ResourceOptions(parent=self, providers=[self.k8s_provider])
        self.mesh = ServiceMesh(f"{name}-mesh", config.mesh, opts=on_cluster) if config.mesh else None
        self.services = (
            deploy_services(f"{name}-app", config.services, self.mesh, opts=on_cluster) if self.mesh else []
        )
        self.observability = (
            Observability(f"{name}-observability", config.observability,
                          opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(
                              depends_on=[self.mesh] if self.mesh else [])))
            if config.observability else None
        )
        self.ci = _ci(name, config, self.cluster, self.k8s_provider, self) if config.ci else None
        self.register_outputs({"kubeconfig": self.cluster.kubeconfig})


class CiParts:
    """The CI components a stack enabled (None where its section is off)."""

    def __init__(self) -> None:
        self.identities: PipelineIdentities | None = None
        self.runners: CiRunners | None = None
        self.registry: ArtifactRegistry | None = None
        self.gitops: GitOps | None = None


def _ci(name: str, config: PlatformConfig, cluster: EksCluster | ExistingCluster, provider: k8s.Provider,
        parent: pulumi.Resource) -> CiParts:
    """Pipeline identities, runners (pushing to the registry through IRSA), the registry, GitOps."""
    ci, parts = config.ci, CiParts()
    assert ci is not None
    child = pulumi.ResourceOptions(parent=parent)
    on_cluster = pulumi.ResourceOptions(parent=parent, providers=[provider])
    if isinstance(cluster, EksCluster):  # config refuses these parts for an existing cluster
        if ci.identities:
            parts.identities = PipelineIdentities(f"{name}-ci", ci.identities,
                                                  eks_cluster_name=cluster.cluster_name, opts=child)
        if ci.runners:
            vpc = [config.network.cidr] if config.network else []
            parts.runners = CiRunners(f"{name}-ci", ci.runners, k8s_provider=provider,
                                      oidc_provider_arn=cluster.oidc_provider_arn,
                                      oidc_issuer_url=cluster.oidc_issuer, vpc_egress_cidrs=vpc, opts=on_cluster)
        if ci.registry:
            runners = parts.runners
            parts.registry = ArtifactRegistry(
                f"{name}-registry", ci.registry,
                push_role_arns=list(runners.push_role_arns) if runners else [],
                pull_role_arns=[cluster.node_role_arn],
                attach_push_policy_to=list(runners.push_role_names) if runners else [],
                opts=child,
            )
    if ci.gitops:
        vpc = [config.network.cidr] if config.network else []
        parts.gitops = GitOps(f"{name}-gitops", ci.gitops, k8s_provider=provider, api_server_cidrs=vpc,
                              opts=on_cluster)
    return parts
