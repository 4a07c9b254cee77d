"""The Kubernetes cluster later components deploy into: a new hardened EKS cluster or an existing one.

Both `EksCluster` and `ExistingCluster` expose `k8s_provider` (a `pulumi_kubernetes.Provider`) and
a secret `kubeconfig`, so the mesh, services, observability and CI components do not care which.
Inputs, defaults and pinned versions live in `components.cluster_args`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.aws_env import AwsEnv, document, key_admin_statement, logs_key_policy
from components.cluster_args import (
    ACCESS_POLICIES,
    ADDON_VERSIONS,
    CONTROL_PLANE_LOG_TYPES,
    KEY_DELETION_WINDOW_DAYS,
    NODE_PORT_RANGE,
    AccessEntryArgs,
    EksClusterArgs,
    ExistingClusterArgs,
)
from components.cluster_iam import cluster_role, node_role, vpc_cni_role
from components.network import ClusterNetwork
from components.nodegroup import launch_template, node_group

# VPC CNI settings: enforce Kubernetes NetworkPolicy with the CNI's eBPF agent (zero trust between
# pods even before the mesh is installed; SP 800-204C C-4.4-3 network policies).
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true"}


class EksCluster(pulumi.ComponentResource):
    """A new EKS cluster with secure defaults, its node groups, core add-ons and access entries."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    k8s_provider: k8s.Provider

    def __init__(self, name: str, args: EksClusterArgs, network: ClusterNetwork,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("devsecops:cluster:EksCluster", name, None, opts)
        for option in args.insecure_options():
            pulumi.log.warn(f"insecure option {option} is set on cluster {args.cluster_name}", self)
        versions = ADDON_VERSIONS[args.kubernetes_version]
        env = AwsEnv.lookup(self)
        tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)

        secrets_key = None
        if not args.disable_secrets_encryption_insecure:
            secrets_key = self._key(name, "secrets", f"Envelope-encrypts Secrets of EKS {args.cluster_name}",
                                    document(key_admin_statement(env)), tags)
        role, role_deps = cluster_role(f"{name}-control-plane", env, tags, self, secrets_key)

        cluster_deps: list[pulumi.Resource] = list(role_deps)
        if not args.disable_control_plane_logs_insecure:
            cluster_deps.append(self._log_group(name, args, env, tags))

        # Our own group on the control-plane interfaces: it holds the private-endpoint rules, so they
        # never open the nodes (which share the EKS-made cluster group). Always made, so adding a
        # CIDR later changes a rule, not the cluster's security groups.
        api_sg = aws.ec2.SecurityGroup(
            f"{name}-api",
            description=f"Private API endpoint access to EKS {args.cluster_name}",
            vpc_id=network.vpc_id,
            tags={**tags, "Name": f"{args.cluster_name}-api"},
            opts=child,
        )
        for index, cidr in enumerate(args.endpoint_private_access_cidrs):
            self._ingress(f"{name}-api-{index}", api_sg.id, cidr, 443, 443,
                          "Private API endpoint access", tags)

        public = bool(args.endpoint_public_access_cidrs)
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=network.private_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(args.endpoint_public_access_cidrs) if public else None,
                security_group_ids=[api_sg.id],
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            encryption_config=None if secrets_key is None else aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=[] if args.disable_control_plane_logs_insecure
            else list(CONTROL_PLANE_LOG_TYPES),
            # Core add-ons are installed below as pinned, managed add-ons instead of unmanaged copies.
            bootstrap_self_managed_addons=False,
            deletion_protection=args.deletion_protection,
            tags=tags,
            # The log group must exist first, or EKS creates it unencrypted with no retention.
            opts=pulumi.ResourceOptions(parent=self, depends_on=cluster_deps),
        )

        for index, cidr in enumerate(args.node_port_ingress_cidrs_insecure):
            self._ingress(f"{name}-nodeport-{index}", cluster.vpc_config.cluster_security_group_id,
                          cidr, NODE_PORT_RANGE[0], NODE_PORT_RANGE[1], "INSECURE NodePort access", tags)

        issuer = cluster.identities.apply(_oidc_issuer)
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"], tags=tags, opts=child,
        )
        for index, entry in enumerate(args.access_entries):
            self._access_entry(f"{name}-access-{index}", cluster, entry, env, tags)

        cni_role, cni_deps = vpc_cni_role(f"{name}-vpc-cni", env, oidc, issuer, tags, self)
        before_nodes = [
            self._addon(name, cluster, "vpc-cni", versions, tags, cni_deps,
                        configuration=VPC_CNI_CONFIGURATION, role_arn=cni_role.arn),
            self._addon(name, cluster, "kube-proxy", versions, tags, []),
            self._addon(name, cluster, "eks-pod-identity-agent", versions, tags, []),
        ]
        nodes_role, node_deps = node_role(f"{name}-node", env, tags, self)
        groups = [
            node_group(
                f"{name}-{group.name}", group, cluster=cluster, node_role=nodes_role,
                subnet_ids=network.private_subnet_ids,
                template=launch_template(f"{name}-{group.name}", group,
                                         volume_kms_key_arn=args.node_volume_kms_key_arn,
                                         tags={**tags, "Name": f"{args.cluster_name}-{group.name}"},
                                         parent=self),
                tags=tags, parent=self, depends_on=[*node_deps, *before_nodes],
            )
            for group in args.node_groups
        ]
        # CoreDNS is a Deployment: it waits for nodes to schedule on.
        coredns = self._addon(name, cluster, "coredns", versions, tags, groups)

        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.cluster_security_group_id = cluster.vpc_config.cluster_security_group_id
        self.oidc_provider_arn = oidc.arn
        self.oidc_issuer = issuer
        self.node_role_arn = nodes_role.arn
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data,
                              env.region).apply(lambda v: eks_kubeconfig(v[0], v[1], v[2], v[3]))
        )
        # Kubernetes resources wait for a working cluster: nodes up and DNS running.
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[coredns]),
        )
        self.register_outputs({
            "cluster_name": self.cluster_name,
            "endpoint": self.endpoint,
            "cluster_security_group_id": self.cluster_security_group_id,
            "oidc_provider_arn": self.oidc_provider_arn,
            "node_role_arn": self.node_role_arn,
            "kubeconfig": self.kubeconfig,
        })

    def _key(self, name: str, purpose: str, description: str, policy: pulumi.Input[str],
             tags: dict[str, str]) -> aws.kms.Key:
        return aws.kms.Key(
            f"{name}-{purpose}",
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=policy,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _log_group(self, name: str, args: EksClusterArgs, env: AwsEnv,
                   tags: dict[str, str]) -> aws.cloudwatch.LogGroup:
        """The group EKS writes control-plane logs to, encrypted and with retention."""
        group_name = f"/aws/eks/{args.cluster_name}/cluster"
        key = self._key(name, "logs", f"Encrypts the control-plane logs of EKS {args.cluster_name}",
                        logs_key_policy(env, [env.arn("logs", f"log-group:{group_name}")]), tags)
        return aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _ingress(self, name: str, group_id: pulumi.Input[str], cidr: str, from_port: int,
                 to_port: int, description: str, tags: dict[str, str]) -> None:
        ipv6 = ":" in cidr
        aws.vpc.SecurityGroupIngressRule(
            name,
            security_group_id=group_id,
            ip_protocol="tcp",
            from_port=from_port,
            to_port=to_port,
            cidr_ipv4=None if ipv6 else cidr,
            cidr_ipv6=cidr if ipv6 else None,
            description=description,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _access_entry(self, name: str, cluster: aws.eks.Cluster, entry: AccessEntryArgs,
                      env: AwsEnv, tags: dict[str, str]) -> None:
        access = aws.eks.AccessEntry(
            name, cluster_name=cluster.name, principal_arn=entry.principal_arn, type="STANDARD",
            tags=tags, opts=pulumi.ResourceOptions(parent=self),
        )
        scope = aws.eks.AccessPolicyAssociationAccessScopeArgs(
            type="namespace" if entry.namespaces else "cluster",
            namespaces=list(entry.namespaces) or None,
        )
        aws.eks.AccessPolicyAssociation(
            name,
            cluster_name=cluster.name,
            principal_arn=entry.principal_arn,
            policy_arn=pulumi.Output.concat(
                "arn:", env.partition, ":eks::aws:cluster-access-policy/", ACCESS_POLICIES[entry.policy]
            ),
            access_scope=scope,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access]),
        )

    def _addon(self, name: str, cluster: aws.eks.Cluster, addon: str, versions: Mapping[str, str],
               tags: dict[str, str], depends_on: Sequence[pulumi.Resource], *,
               configuration: dict[str, str] | None = None,
               role_arn: pulumi.Input[str] | None = None) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            addon_version=versions[addon],
            configuration_values=None if configuration is None else json.dumps(configuration),
            service_account_role_arn=role_arn,
            # The add-on's settings are code: overwrite drift instead of keeping hand edits.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )


class ExistingCluster(pulumi.ComponentResource):
    """A cluster made elsewhere: only a Kubernetes provider from its kubeconfig (a secret), or, in
    render mode, a provider that writes manifests to a directory (`kubeconfig` is then empty)."""

    kubeconfig: pulumi.Output[str]
    k8s_provider: k8s.Provider

    def __init__(self, name: str, args: ExistingClusterArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("devsecops:cluster:ExistingCluster", name, None, opts)
        if args.render_yaml_to_directory is not None:
            # Render mode: manifests go to the directory; the provider refuses a kubeconfig with it.
            self.kubeconfig = pulumi.Output.secret("")
            self.k8s_provider = k8s.Provider(
                f"{name}-k8s", render_yaml_to_directory=args.render_yaml_to_directory,
                opts=pulumi.ResourceOptions(parent=self),
            )
        else:
            if args.kubeconfig is None:
                raise ValueError("ExistingClusterArgs needs a kubeconfig unless render_yaml_to_directory is set")
            self.kubeconfig = pulumi.Output.secret(args.kubeconfig)
            self.k8s_provider = k8s.Provider(
                f"{name}-k8s", kubeconfig=self.kubeconfig, context=args.context,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"kubeconfig": self.kubeconfig})


def _oidc_issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    oidcs = identities[0].oidcs or []
    return str(oidcs[0].issuer)


def eks_kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token` (no static credentials in it)."""
    return json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name,
                      "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "users": [{"name": cluster_name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region,
                     "--output", "json"],
            "interactiveMode": "Never",
        }}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
    })
