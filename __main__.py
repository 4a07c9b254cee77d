"""The platform program: validated config in, the platform out. Nothing else lives here."""

import pulumi

from components.cluster import EksCluster
from components.config import load
from components.platform import Platform
from components.service_graph import call_graph

config = load()  # raises ConfigError, before any resource exists, on any invalid value
platform = Platform("platform", config)

pulumi.export("clusterMode", "managed" if isinstance(platform.cluster, EksCluster) else "existing")
pulumi.export("kubeconfig", platform.cluster.kubeconfig)  # a secret
if isinstance(platform.cluster, EksCluster):
    pulumi.export("clusterName", platform.cluster.cluster_name)
    pulumi.export("clusterEndpoint", platform.cluster.endpoint)
    pulumi.export("oidcProviderArn", platform.cluster.oidc_provider_arn)
if platform.network is not None:
    pulumi.export("vpcId", platform.network.vpc_id)
    pulumi.export("privateSubnetIds", platform.network.private_subnet_ids)
if platform.mesh is not None:
    pulumi.export("callGraph", call_graph(config.services))  # who may call whom, derived from declarations
if platform.observability is not None:
    pulumi.export("tracingService", platform.observability.tracing_service)
    pulumi.export("grafanaUrl", platform.observability.grafana_url)
    pulumi.export("prometheusUrl", platform.observability.prometheus_url)
