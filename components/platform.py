"""The whole platform as one component: network -> cluster -> mesh -> services, and the
observability stack, each given the previous one's outputs and its own typed Args."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import EksCluster, ExistingCluster
from components.cluster_args import EksClusterArgs
from components.config import PlatformConfig
from components.mesh import ServiceMesh
from components.microservice import Microservice, deploy_services
from components.network import Network
from components.observability import Observability


class Platform(pulumi.ComponentResource):
    """Everything a stack deploys, built from its validated `PlatformConfig`."""

    network: Network | None
    cluster: EksCluster | ExistingCluster
    k8s_provider: k8s.Provider
    mesh: ServiceMesh | None
    services: list[Microservice]
    observability: Observability | None

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
        self.register_outputs({"kubeconfig": self.cluster.kubeconfig})
