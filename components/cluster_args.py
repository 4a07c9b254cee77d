"""Inputs of `EksCluster` and `ExistingCluster`, with the pinned versions and retention they use.

Secure by default (at least terraform-aws-modules/eks v21): private API endpoint only, secrets
envelope-encrypted with a rotating customer-managed key, all five control-plane log types kept in
a KMS-encrypted log group, access entries only (no aws-auth ConfigMap, no implicit creator admin),
IMDSv2 with hop limit 1, encrypted gp3 root volumes, no SSH, VPC CNI network policy on.

Anything that weakens a default is its own field whose name ends in `_insecure`; the component
logs a warning for each one set, and the aws-baseline policy pack reports the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

import pulumi

# Core add-on versions per Kubernetes minor version: the single table to edit on upgrade. A version
# missing here is one the component does not support. Check new values with
# `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>`.
ADDON_VERSIONS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType({
    "1.32": MappingProxyType({
        "vpc-cni": "v1.20.1-eksbuild.3",
        "kube-proxy": "v1.32.6-eksbuild.8",
        "coredns": "v1.11.4-eksbuild.14",
        "eks-pod-identity-agent": "v1.3.8-eksbuild.2",
    }),
    "1.33": MappingProxyType({
        "vpc-cni": "v1.20.1-eksbuild.3",
        "kube-proxy": "v1.33.3-eksbuild.4",
        "coredns": "v1.12.1-eksbuild.2",
        "eks-pod-identity-agent": "v1.3.8-eksbuild.2",
    }),
    "1.34": MappingProxyType({
        "vpc-cni": "v1.20.1-eksbuild.3",
        "kube-proxy": "v1.34.0-eksbuild.2",
        "coredns": "v1.12.3-eksbuild.1",
        "eks-pod-identity-agent": "v1.3.8-eksbuild.2",
    }),
})
SUPPORTED_KUBERNETES_VERSIONS: Final = tuple(ADDON_VERSIONS)
DEFAULT_KUBERNETES_VERSION: Final = "1.33"

CONTROL_PLANE_LOG_TYPES: Final = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CONTROL_PLANE_LOG_RETENTION_DAYS: Final = 365  # a year of API audit records (AU-11)
KEY_DELETION_WINDOW_DAYS: Final = 30  # the longest KMS allows
NODE_ROOT_DEVICE: Final = "/dev/xvda"  # the root device of the AL2023 EKS AMIs
NODE_PORT_RANGE: Final = (30000, 32767)  # Kubernetes' default NodePort range
NODE_AMI_TYPES: Final = ("AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD")

# Config names of the EKS access policies an access entry may get.
ACCESS_POLICIES: Final[Mapping[str, str]] = MappingProxyType({
    "cluster-admin": "AmazonEKSClusterAdminPolicy",
    "admin": "AmazonEKSAdminPolicy",
    "edit": "AmazonEKSEditPolicy",
    "view": "AmazonEKSViewPolicy",
})

NodeAmiType = Literal["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD"]
CapacityType = Literal["ON_DEMAND", "SPOT"]
AccessPolicyName = Literal["cluster-admin", "admin", "edit", "view"]


TaintEffect = Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]


@dataclass(frozen=True)
class NodeTaint:
    """A Kubernetes taint on every node of a group (EKS spells the effect NO_SCHEDULE, ...)."""

    key: str
    value: str
    effect: TaintEffect = "NO_SCHEDULE"


@dataclass(frozen=True)
class NodeGroupArgs:
    """One EKS managed node group on the private subnets."""

    name: str
    """Short name, unique in the cluster; part of the logical and physical names."""
    instance_types: tuple[str, ...] = ("m6i.large",)
    """EC2 instance types; more than one helps SPOT capacity."""
    min_size: int = 2
    """Fewest nodes."""
    max_size: int = 4
    """Most nodes."""
    desired_size: int = 2
    """Nodes at creation (later changes by an autoscaler are left alone by EKS)."""
    disk_size_gib: int = 50
    """Size of each node's encrypted gp3 root volume."""
    capacity_type: CapacityType = "ON_DEMAND"
    """ON_DEMAND or SPOT."""
    ami_type: NodeAmiType = "AL2023_x86_64_STANDARD"
    """EKS-optimised Amazon Linux 2023 image, x86_64 or ARM."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Kubernetes labels put on the nodes."""
    taints: tuple[NodeTaint, ...] = ()
    """Taints keeping other pods off these nodes (e.g. a dedicated CI runner pool)."""
    allow_imdsv1_insecure: bool = False
    """INSECURE: accept IMDSv1 (no session token) on these nodes; SSRF in a pod can then steal the
    node role's credentials. The aws-baseline pack reports it."""


@dataclass(frozen=True)
class AccessEntryArgs:
    """An IAM principal allowed into the cluster, with one EKS access policy."""

    principal_arn: str
    """The IAM role or user ARN."""
    policy: AccessPolicyName = "view"
    """cluster-admin, admin, edit or view."""
    namespaces: tuple[str, ...] = ()
    """Limit the policy to these namespaces; empty means the whole cluster."""


@dataclass(frozen=True)
class EksClusterArgs:
    """Inputs of an `EksCluster`; every default is the secure choice."""

    cluster_name: str
    """The EKS cluster's name (also names its log group /aws/eks/<name>/cluster)."""
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """Kubernetes minor version; one of SUPPORTED_KUBERNETES_VERSIONS."""
    node_groups: tuple[NodeGroupArgs, ...] = (NodeGroupArgs("system"),)
    """Managed node groups; at least one, since CoreDNS needs somewhere to run."""
    access_entries: tuple[AccessEntryArgs, ...] = ()
    """Who may use the cluster; the creator gets no implicit admin, so name your deployer here."""
    endpoint_public_access_cidrs: tuple[str, ...] = ()
    """Enables the public API endpoint for exactly these CIDRs; empty keeps it off."""
    endpoint_private_access_cidrs: tuple[str, ...] = ()
    """Networks (VPN, CI runners) allowed to reach the private API endpoint on 443."""
    log_retention_days: int = CONTROL_PLANE_LOG_RETENTION_DAYS
    """Days CloudWatch keeps the control-plane logs."""
    node_volume_kms_key_arn: str | None = None
    """Customer-managed key for node root volumes (its policy must let the AutoScaling service-linked
    role use it); by default volumes use the account's aws/ebs KMS key."""
    deletion_protection: bool = True
    """EKS refuses to delete the cluster until this is turned off."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags put on every resource."""
    disable_secrets_encryption_insecure: bool = False
    """INSECURE: store Kubernetes Secrets without KMS envelope encryption."""
    disable_control_plane_logs_insecure: bool = False
    """INSECURE: send no control-plane logs (no API audit trail)."""
    node_port_ingress_cidrs_insecure: tuple[str, ...] = ()
    """INSECURE: open the NodePort range on every node to these CIDRs (any, even 0.0.0.0/0)."""

    def insecure_options(self) -> list[str]:
        """The insecure options that are set, by name, for warnings."""
        found = [
            name
            for name in ("disable_secrets_encryption_insecure", "disable_control_plane_logs_insecure",
                         "node_port_ingress_cidrs_insecure")
            if getattr(self, name)
        ]
        found += [f"node_groups[{g.name}].allow_imdsv1_insecure"
                  for g in self.node_groups if g.allow_imdsv1_insecure]
        return found


@dataclass(frozen=True)
class ExistingClusterArgs:
    """Inputs of an `ExistingCluster`: a cluster made elsewhere, reached through a kubeconfig."""

    kubeconfig: pulumi.Input[str] | None = None
    """The kubeconfig (YAML or JSON); treated as a secret. Required unless rendering."""
    context: str | None = None
    """The kubeconfig context to use; its current context when unset."""
    render_yaml_to_directory: str | None = None
    """Render mode: the Kubernetes provider writes every manifest into this directory (relative to
    the program's directory) instead of applying it, and never contacts a cluster, so it takes no
    kubeconfig or context (the provider refuses a kubeconfig with it). For reviews, GitOps hand-off
    and offline checks. The files hold Secret data in plain text, like any manifest."""
