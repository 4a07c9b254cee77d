"""The stack's config: read once, validated completely, before any resource is registered.

`load()` returns a frozen `PlatformConfig` holding the components' typed `...Args`; any invalid
value raises `ConfigError` naming the key (as `pulumi config set --path` spells it), the value and
what is allowed. Nothing else in the program reads config.

Keys. The project's keys are structured objects, one per concern, so a stack file reads like the
platform it describes and each object's fields are checked together (unknown fields included):

    aws:region                     required with a managed cluster, e.g. us-east-1
    devsecops-platform:tags        {key: value} tags for every resource (project, stack and
                                   managed-by are always set)
    devsecops-platform:network     managed cluster only (absent or {} means none); fields: name,
                                   cidr, availabilityZones, natGateways, flowLogRetentionDays
    devsecops-platform:cluster     mode (managed | existing) and its fields, see parse_cluster
    devsecops-platform:kubeconfig  existing cluster only; a secret (pulumi config set --secret)
    devsecops-platform:mesh        the Istio mesh (absent or {}: no mesh); components/mesh_config.py
    devsecops-platform:services    microservice declarations (need `mesh`); see parse_services
    devsecops-platform:ci          registry, pipeline identities, runners, GitOps (absent or {}: none;
                                   each part has `enabled`); see components/ci_config.py
    devsecops-platform:observability  metrics, logs, traces (absent or {}: none); with a
                                   mesh, the mesh's tracing provider and monitoring namespace are
                                   derived from it; with a network, its nodeCidrs default to the
                                   VPC CIDR; see components/observability_config.py

Keys of other namespaces (aws:, kubernetes:, ...) belong to providers and are left to them. Any
other `devsecops-platform:` key is an error.

Extension point: each section key maps to a parser in `section_parsers()`. A new section is one
entry there plus a `PlatformConfig` field of the same name; its parser gets the decoded value
(None when absent) and a `ConfigContext`. Cross-section checks and derivations live in `_assemble`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast, get_args

import pulumi
import yaml

from components.ci_config import CiArgs, parse_ci
from components.cluster_args import (
    ACCESS_POLICIES,
    DEFAULT_KUBERNETES_VERSION,
    NODE_AMI_TYPES,
    SUPPORTED_KUBERNETES_VERSIONS,
    AccessEntryArgs,
    AccessPolicyName,
    CapacityType,
    EksClusterArgs,
    ExistingClusterArgs,
    NodeAmiType,
    NodeGroupArgs,
    NodeTaint,
    TaintEffect,
)
from components.config_fields import ObjectReader, aws_tags, cidr, cidrs, type_name
from components.errors import ConfigError
from components.gitops import GitOpsArgs
from components.mesh_args import MeshRef, ServiceMeshArgs, TracingArgs
from components.mesh_config import parse_mesh, parse_services
from components.microservice_args import MicroserviceArgs
from components.network import NatGatewayMode, NetworkArgs
from components.observability_args import ObservabilityArgs, tracing_provider
from components.observability_config import parse_observability
from components.runners import RUNNER_NODE_LABEL, RUNNER_NODE_TAINT, CiRunnersArgs
from components.service_graph import check_platform_namespaces, validate_services
from components.subnets import MAX_ZONES, MIN_ZONES, SubnetPlanError, plan_subnets

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_CHOICES: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                                1827, 2192, 2557, 2922, 3288, 3653)
MAX_CONFIG_TAGS: Final = 40  # AWS allows 50 per resource; leave room for Name and kubernetes.io tags

REGION_RE: Final = r"[a-z]{2}(-[a-z]+)+-\d+"
CLUSTER_NAME_RE: Final = r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}"
NETWORK_NAME_RE: Final = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}"
NODE_GROUP_NAME_RE: Final = r"[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?"
INSTANCE_TYPE_RE: Final = r"[a-z][a-z0-9-]*\.[a-z0-9]+"
PRINCIPAL_ARN_RE: Final = r"arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}"
KMS_KEY_ARN_RE: Final = r"arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}"
DNS_LABEL_RE: Final = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
LABEL_KEY_RE: Final = (r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                       r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
RENDER_DIR_RE: Final = r"[^\x00\n]*\S[^\x00\n]*"  # a non-blank, one-line path
LABEL_VALUE_RE: Final = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?"

CLUSTER_MODES: Final = ("managed", "existing")
NETWORK_FIELDS: Final = ("name", "cidr", "availabilityZones", "natGateways", "flowLogRetentionDays")
MANAGED_CLUSTER_FIELDS: Final = (
    "mode", "name", "kubernetesVersion", "endpointPublicAccess", "endpointPublicAccessCidrs",
    "endpointPrivateAccessCidrs", "logRetentionDays", "deletionProtection", "nodeVolumeKmsKeyArn",
    "accessEntries", "nodeGroups", "insecure",
)
EXISTING_CLUSTER_FIELDS: Final = ("mode", "context", "renderYamlToDirectory")
CLUSTER_INSECURE_FIELDS: Final = ("disableSecretsEncryption", "disableControlPlaneLogs",
                                  "nodePortIngressCidrs")
NODE_GROUP_FIELDS: Final = ("name", "instanceTypes", "minSize", "maxSize", "desiredSize",
                            "diskSizeGib", "capacityType", "amiType", "labels", "taints", "insecure")
NODE_TAINT_FIELDS: Final = ("key", "value", "effect")
NODE_GROUP_INSECURE_FIELDS: Final = ("allowImdsv1",)
ACCESS_ENTRY_FIELDS: Final = ("principalArn", "policy", "namespaces")
REDACTED: Final = "<kubeconfig, not shown>"


@dataclass(frozen=True)
class Kubeconfig:
    """The `kubeconfig` key: its context names (for validation) and its value as a secret."""

    contexts: tuple[str, ...]
    value: pulumi.Output[str]


@dataclass(frozen=True)
class ConfigContext:
    """What every section parser may need besides its own value."""

    project: str
    stack: str
    region: str | None
    tags: Mapping[str, str]
    kubeconfig: Kubeconfig | None

    @property
    def default_name(self) -> str:
        """The name of things when config names none: `<project>-<stack>`."""
        return f"{self.project}-{self.stack}"


@dataclass(frozen=True)
class PlatformConfig:
    """The whole validated stack config, as the components' typed inputs."""

    project: str
    stack: str
    region: str | None
    tags: Mapping[str, str]
    cluster: EksClusterArgs | ExistingClusterArgs
    network: NetworkArgs | None
    mesh: ServiceMeshArgs | None = None
    services: tuple[MicroserviceArgs, ...] = ()
    observability: ObservabilityArgs | None = None
    ci: CiArgs | None = None


SectionParser = Callable[[object, ConfigContext], Any]


def section_parsers() -> dict[str, SectionParser]:
    """Each section key and its parser, in the order they are checked.

    To add a section, e.g. the mesh: add `"mesh": lambda raw, ctx: parse_mesh(raw)` here and a
    field `mesh: MeshConfig | None = None` to PlatformConfig; unknown keys stay errors.
    """
    return {
        "cluster": parse_cluster,
        "network": parse_network,
        # Absent or {} (Pulumi.yaml's default) means none, as for `network`.
        "mesh": lambda raw, ctx: None if raw in (None, {}) else parse_mesh(raw),
        "services": lambda raw, ctx: tuple(parse_services(raw)),
        "observability": lambda raw, ctx: None if raw in (None, {}) else parse_observability(raw),
        "ci": lambda raw, ctx: None if raw in (None, {}) else parse_ci(raw),
    }


CONTEXT_KEYS: Final = ("tags", "kubeconfig")  # project keys read into ConfigContext, not sections


def load() -> PlatformConfig:
    """Read and validate the stack's config; raises ConfigError on the first invalid value."""
    config = pulumi.Config()
    project, stack = pulumi.get_project(), pulumi.get_stack()
    parsers = section_parsers()
    _refuse_unknown_keys(project, (*CONTEXT_KEYS, *parsers))

    region = pulumi.Config("aws").get("region")
    if region is not None and not re.fullmatch(REGION_RE, region):
        raise ConfigError("aws:region", region, "an AWS region such as us-east-1", "not a region name")
    context = ConfigContext(
        project=project,
        stack=stack,
        region=region,
        tags={"project": project, "stack": stack, "managed-by": "pulumi",
              **aws_tags("tags", _decode(config, "tags"), MAX_CONFIG_TAGS)},
        kubeconfig=_kubeconfig(config, project),
    )
    sections = {key: parse(_decode(config, key), context) for key, parse in parsers.items()}
    return _assemble(context, sections)


def parse_network(raw: object, ctx: ConfigContext) -> NetworkArgs | None:
    """`network`: the VPC of a managed cluster.

    name                  VPC name for tags and the flow-log group (default <project>-<stack>)
    cidr                  IPv4 block, /16 to /2x depending on the zone count (default 10.0.0.0/16)
    availabilityZones     2 to 6 zone names of aws:region (required)
    natGateways           per-az (default) or single
    flowLogRetentionDays  a CloudWatch retention period (default 365)
    """
    if raw is None or raw == {}:  # Pulumi.yaml's default: not set
        return None
    net = ObjectReader("network", raw, NETWORK_FIELDS)
    defaults = NetworkArgs(name=ctx.default_name, availability_zones=())
    zones = net.strings("availabilityZones", min_items=MIN_ZONES,
                        allowed=f"a list of {MIN_ZONES} to {MAX_ZONES} zone names of the region")
    if len(zones) > MAX_ZONES:
        raise ConfigError(net.path("availabilityZones"), list(zones),
                          f"{MIN_ZONES} to {MAX_ZONES} zone names", "too many zones")
    if ctx.region is not None:
        for index, zone in enumerate(zones):
            if not re.fullmatch(re.escape(ctx.region) + r"[a-z]", zone):
                raise ConfigError(f"{net.path('availabilityZones')}[{index}]", zone,
                                  f"a zone of {ctx.region}, e.g. {ctx.region}a",
                                  f"not an availability zone of aws:region {ctx.region}")
    block = str(cidr(net.path("cidr"), net.value("cidr", defaults.cidr), ipv4_only=True))
    try:
        plan_subnets(block, len(zones))
    except SubnetPlanError as err:
        raise ConfigError(net.path("cidr"), block, "a VPC block large enough for the zones",
                          str(err)) from None
    return NetworkArgs(
        name=net.string("name", defaults.name, pattern=NETWORK_NAME_RE,
                        allowed="1-63 letters, digits, '.', '_' or '-'"),
        availability_zones=zones,
        cidr=block,
        nat_gateways=cast(NatGatewayMode, net.string("natGateways", defaults.nat_gateways,
                                                     choices=get_args(NatGatewayMode))),
        flow_log_retention_days=net.integer("flowLogRetentionDays", defaults.flow_log_retention_days,
                                            choices=LOG_RETENTION_CHOICES),
        tags=ctx.tags,
    )


def parse_cluster(raw: object, ctx: ConfigContext) -> EksClusterArgs | ExistingClusterArgs:
    """`cluster`: `mode: managed` (default) builds an EKS cluster; `mode: existing` uses a kubeconfig.

    managed fields:
      name                        EKS cluster name (default <project>-<stack>)
      kubernetesVersion           one of SUPPORTED_KUBERNETES_VERSIONS, quoted (default "1.33")
      endpointPublicAccess        false (default); true needs endpointPublicAccessCidrs
      endpointPublicAccessCidrs   CIDRs allowed to the public endpoint; no 0.0.0.0/0 or ::/0
      endpointPrivateAccessCidrs  networks (VPN, runners) allowed to the private endpoint on 443
      logRetentionDays            control-plane log retention (default 365)
      deletionProtection          true (default)
      nodeVolumeKmsKeyArn         customer-managed key for node volumes (default aws/ebs)
      accessEntries               [{principalArn, policy, namespaces}], at least one cluster-admin
      nodeGroups                  [{name, instanceTypes, minSize, maxSize, desiredSize, diskSizeGib,
                                    capacityType, amiType, labels, taints[{key, value, effect}],
                                    insecure: {allowImdsv1}}]
      insecure                    {disableSecretsEncryption, disableControlPlaneLogs,
                                   nodePortIngressCidrs}: each weakens a default, by name
    existing fields:
      context                     kubeconfig context (default: its current context)
      renderYamlToDirectory       render mode: write manifests to this directory instead of applying
                                  them (relative to the program directory); then no kubeconfig
    """
    mode_allowed = "one of " + ", ".join(CLUSTER_MODES)
    mode = raw.get("mode", "managed") if isinstance(raw, dict) else "managed"
    if mode not in CLUSTER_MODES:
        raise ConfigError("cluster.mode", mode, mode_allowed, "unknown cluster mode")
    if mode == "existing":
        return _parse_existing_cluster(ObjectReader("cluster", raw, EXISTING_CLUSTER_FIELDS), ctx)
    if ctx.kubeconfig is not None:
        raise ConfigError("kubeconfig", REDACTED, "no kubeconfig unless cluster.mode is existing",
                          "a managed cluster makes its own kubeconfig")
    if ctx.region is None:
        raise ConfigError("aws:region", None, "an AWS region such as us-east-1",
                          "a managed cluster needs the region pinned in the stack file")
    return _parse_managed_cluster(ObjectReader("cluster", raw if raw is not None else {},
                                               MANAGED_CLUSTER_FIELDS), ctx)


def _parse_managed_cluster(cl: ObjectReader, ctx: ConfigContext) -> EksClusterArgs:
    defaults = EksClusterArgs(cluster_name=ctx.default_name)
    insecure = cl.object("insecure", CLUSTER_INSECURE_FIELDS)
    public = cl.boolean("endpointPublicAccess", False)
    public_cidrs = cidrs(cl, "endpointPublicAccessCidrs", allow_world=False)
    if public and not public_cidrs:
        raise ConfigError(cl.path("endpointPublicAccessCidrs"), [],
                          "at least one CIDR (not 0.0.0.0/0 or ::/0) when endpointPublicAccess is true",
                          "public access is enabled with no CIDRs, which EKS opens to 0.0.0.0/0")
    if public_cidrs and not public:
        raise ConfigError(cl.path("endpointPublicAccess"), public,
                          "true when endpointPublicAccessCidrs is set (or remove the CIDRs)",
                          "CIDRs are given but the public endpoint is off")
    return EksClusterArgs(
        cluster_name=cl.string("name", defaults.cluster_name, pattern=CLUSTER_NAME_RE,
                               allowed="1-100 letters, digits, '-' or '_', starting alphanumeric"),
        kubernetes_version=cl.string("kubernetesVersion", DEFAULT_KUBERNETES_VERSION,
                                     choices=SUPPORTED_KUBERNETES_VERSIONS),
        node_groups=_node_groups(cl),
        access_entries=_access_entries(cl),
        endpoint_public_access_cidrs=public_cidrs,
        endpoint_private_access_cidrs=cidrs(cl, "endpointPrivateAccessCidrs", allow_world=False),
        log_retention_days=cl.integer("logRetentionDays", defaults.log_retention_days,
                                      choices=LOG_RETENTION_CHOICES),
        node_volume_kms_key_arn=(cl.string("nodeVolumeKmsKeyArn", pattern=KMS_KEY_ARN_RE,
                                           allowed="a KMS key ARN")
                                 if cl.has("nodeVolumeKmsKeyArn") else None),
        deletion_protection=cl.boolean("deletionProtection", defaults.deletion_protection),
        tags=ctx.tags,
        disable_secrets_encryption_insecure=insecure.boolean("disableSecretsEncryption", False),
        disable_control_plane_logs_insecure=insecure.boolean("disableControlPlaneLogs", False),
        node_port_ingress_cidrs_insecure=cidrs(insecure, "nodePortIngressCidrs"),
    )


def _node_groups(cl: ObjectReader) -> tuple[NodeGroupArgs, ...]:
    groups: list[NodeGroupArgs] = []
    for ng in cl.objects("nodeGroups", NODE_GROUP_FIELDS, min_items=1,
                         allowed="a list of at least one node group"):
        base = NodeGroupArgs(name="defaults")
        name = ng.string("name", pattern=NODE_GROUP_NAME_RE,
                         allowed="1-32 lower-case letters, digits or '-'")
        if any(g.name == name for g in groups):
            raise ConfigError(ng.path("name"), name, "a name unique among the node groups",
                              "duplicate node group name")
        min_size = ng.integer("minSize", base.min_size, minimum=0, maximum=1000)
        max_size = ng.integer("maxSize", base.max_size, minimum=1, maximum=1000)
        desired = ng.integer("desiredSize", max(min_size, min(base.desired_size, max_size)),
                             minimum=0, maximum=1000)
        if min_size > max_size:
            raise ConfigError(ng.path("minSize"), min_size, f"at most maxSize ({max_size})",
                              "minSize is greater than maxSize")
        if not min_size <= desired <= max_size:
            raise ConfigError(ng.path("desiredSize"), desired,
                              f"between minSize ({min_size}) and maxSize ({max_size})",
                              "desiredSize is outside the group's size range")
        groups.append(NodeGroupArgs(
            name=name,
            instance_types=ng.strings("instanceTypes", base.instance_types, min_items=1,
                                      pattern=INSTANCE_TYPE_RE,
                                      allowed="a list of EC2 instance types such as m6i.large"),
            min_size=min_size,
            max_size=max_size,
            desired_size=desired,
            disk_size_gib=ng.integer("diskSizeGib", base.disk_size_gib, minimum=20, maximum=16384),
            capacity_type=cast(CapacityType, ng.string("capacityType", base.capacity_type,
                                                       choices=get_args(CapacityType))),
            ami_type=cast(NodeAmiType, ng.string("amiType", base.ami_type, choices=NODE_AMI_TYPES)),
            labels=ng.labels("labels", allowed="Kubernetes labels (string values)",
                             key_pattern=LABEL_KEY_RE, value_pattern=LABEL_VALUE_RE),
            taints=_taints(ng),
            allow_imdsv1_insecure=ng.object("insecure", NODE_GROUP_INSECURE_FIELDS)
            .boolean("allowImdsv1", False),
        ))
    return tuple(groups)


def _taints(ng: ObjectReader) -> tuple[NodeTaint, ...]:
    if not ng.has("taints"):
        return ()
    taints = []
    for t in ng.objects("taints", NODE_TAINT_FIELDS, allowed="a list of {key, value, effect} taints"):
        taints.append(NodeTaint(
            key=t.string("key", pattern=LABEL_KEY_RE, allowed="a Kubernetes label key"),
            value=t.string("value", "", pattern=LABEL_VALUE_RE, allowed="a Kubernetes label value"),
            effect=cast(TaintEffect, t.string("effect", "NO_SCHEDULE", choices=get_args(TaintEffect))),
        ))
    return tuple(taints)


def _access_entries(cl: ObjectReader) -> tuple[AccessEntryArgs, ...]:
    entries: list[AccessEntryArgs] = []
    readers = cl.objects("accessEntries", ACCESS_ENTRY_FIELDS, min_items=1,
                         allowed="a list of access entries with at least one cluster-admin "
                                 "(the cluster creator gets no implicit admin)")
    for entry in readers:
        arn = entry.string("principalArn", pattern=PRINCIPAL_ARN_RE,
                           allowed="an IAM role or user ARN, e.g. arn:aws:iam::111122223333:role/admin")
        if any(e.principal_arn == arn for e in entries):
            raise ConfigError(entry.path("principalArn"), arn, "each principal once",
                              "duplicate access entry")
        entries.append(AccessEntryArgs(
            principal_arn=arn,
            policy=cast(AccessPolicyName, entry.string("policy", choices=tuple(ACCESS_POLICIES))),
            namespaces=entry.strings("namespaces", (), pattern=DNS_LABEL_RE,
                                     allowed="a list of namespace names"),
        ))
    if not any(e.policy == "cluster-admin" and not e.namespaces for e in entries):
        raise ConfigError(cl.path("accessEntries"), [e.principal_arn for e in entries],
                          "at least one entry with policy cluster-admin and no namespaces",
                          "nobody could administer the cluster (the creator gets no implicit admin)")
    return tuple(entries)


def _parse_existing_cluster(cl: ObjectReader, ctx: ConfigContext) -> ExistingClusterArgs:
    if cl.has("renderYamlToDirectory"):
        return _parse_render_mode(cl, ctx)
    if ctx.kubeconfig is None:
        raise ConfigError("kubeconfig", None,
                          "a kubeconfig set with: pulumi config set --secret kubeconfig < FILE",
                          "cluster.mode is existing but no kubeconfig is set")
    context = cl.string("context") if cl.has("context") else None
    if context is not None and context not in ctx.kubeconfig.contexts:
        raise ConfigError(cl.path("context"), context,
                          "one of the kubeconfig's contexts: " + ", ".join(ctx.kubeconfig.contexts),
                          "no such context in the kubeconfig")
    return ExistingClusterArgs(kubeconfig=ctx.kubeconfig.value, context=context)


def _parse_render_mode(cl: ObjectReader, ctx: ConfigContext) -> ExistingClusterArgs:
    """Render mode writes manifests and never contacts a cluster, so it takes no kubeconfig: the
    Kubernetes provider refuses `kubeconfig` together with `renderYamlToDirectory`."""
    render_dir = cl.string("renderYamlToDirectory", pattern=RENDER_DIR_RE,
                           allowed="a directory path, e.g. out/manifests")
    if ctx.kubeconfig is not None:
        raise ConfigError("kubeconfig", REDACTED, "no kubeconfig when cluster.renderYamlToDirectory is set",
                          "render mode never contacts a cluster (the Kubernetes provider refuses both)")
    if cl.has("context"):
        raise ConfigError(cl.path("context"), cl.value("context", None),
                          "no context when cluster.renderYamlToDirectory is set",
                          "render mode uses no kubeconfig")
    return ExistingClusterArgs(render_yaml_to_directory=render_dir)


def _assemble(ctx: ConfigContext, sections: dict[str, Any]) -> PlatformConfig:
    """Cross-section checks, then the typed result."""
    cluster = sections["cluster"]
    network = sections["network"]
    if isinstance(cluster, EksClusterArgs) and network is None:
        raise ConfigError("network", None, "an object with at least availabilityZones",
                          "a managed cluster needs a network")
    if isinstance(cluster, ExistingClusterArgs) and network is not None:
        raise ConfigError("network", "{...}", "no network when cluster.mode is existing",
                          "an existing cluster brings its own network")
    mesh, services, observability = sections["mesh"], sections["services"], sections["observability"]
    if services and mesh is None:
        raise ConfigError("services", [s.name for s in services], "services only together with a `mesh` section",
                          "microservices need the service mesh")
    if observability is not None and network is not None and not observability.node_cidrs:
        # A managed cluster's nodes and API endpoints are in its VPC: monitoring egress goes there.
        observability = dataclasses.replace(observability, node_cidrs=(network.cidr,))
        sections["observability"] = observability
    if observability is not None and mesh is not None and mesh.tracing is None:
        # The mesh sends spans to the collector the observability stack deploys, and lets that
        # namespace scrape sidecars: both derive from the observability section.
        mesh = dataclasses.replace(
            mesh,
            tracing=TracingArgs(**dataclasses.asdict(tracing_provider(observability))),
            monitoring_namespace=observability.namespace,
        )
        sections["mesh"] = mesh
    if mesh is not None:
        validate_services(list(services), "services", MeshRef.from_args(mesh))
        owners = _platform_namespaces(mesh, observability, sections["ci"])
        check_platform_namespaces(list(services), "services", owners)
    _check_ci(sections["ci"], cluster)
    return PlatformConfig(project=ctx.project, stack=ctx.stack, region=ctx.region, tags=ctx.tags,
                          **sections)


def _platform_namespaces(mesh: ServiceMeshArgs, observability: ObservabilityArgs | None,
                         ci: CiArgs | None) -> dict[str, str]:
    """Every namespace the platform's own components use -> the setting that names it.

    The default names stay reserved when a component is renamed or off: stack policy configs
    (policypacks/config/) exempt them by name, so a service there would inherit an exemption."""
    owners = {
        mesh.root_namespace: "mesh.rootNamespace",
        mesh.cni_namespace: "mesh.cniNamespace",
        mesh.ingress.namespace: "mesh.ingress.namespace",
        mesh.egress.namespace: "mesh.egress.namespace",
        mesh.monitoring_namespace: "the namespace the mesh lets scrape every sidecar",
    }
    if observability is not None:
        owners[observability.namespace] = "observability.namespace"
        owners[observability.node_namespace] = "observability.nodeNamespace"
    if ci is not None and ci.runners is not None:
        owners[ci.runners.controller_namespace] = "ci.runners.controllerNamespace"
        owners.update({s.runner_namespace: f"ci.runners.scaleSets[{i}].namespace"
                       for i, s in enumerate(ci.runners.scale_sets)})
    if ci is not None and ci.gitops is not None:
        owners[ci.gitops.namespace] = "ci.gitops.namespace"
    mesh_d, obs_d = ServiceMeshArgs(), ObservabilityArgs()
    for default, setting in ((mesh_d.root_namespace, "mesh.rootNamespace"),
                             (mesh_d.cni_namespace, "mesh.cniNamespace"),
                             (mesh_d.ingress.namespace, "mesh.ingress.namespace"),
                             (mesh_d.egress.namespace, "mesh.egress.namespace"),
                             (mesh_d.monitoring_namespace, "the mesh's monitoring namespace"),
                             (obs_d.namespace, "observability.namespace"),
                             (obs_d.node_namespace, "observability.nodeNamespace"),
                             (CiRunnersArgs.controller_namespace, "ci.runners.controllerNamespace"),
                             (GitOpsArgs.namespace, "ci.gitops.namespace")):
        owners.setdefault(default, f"the default of {setting}, reserved even when renamed or off")
    return owners


def _check_ci(ci: CiArgs | None, cluster: EksClusterArgs | ExistingClusterArgs) -> None:
    """CI identities and runners use the managed cluster's OIDC provider; runners need their pool."""
    if ci is None or not (ci.runners_enabled or ci.identities_enabled or ci.registry_enabled):
        return
    if not isinstance(cluster, EksClusterArgs):
        raise ConfigError("ci", "{...}", "ci.registry, ci.identities and ci.runners only with cluster.mode managed",
                          "they need the managed cluster's IAM OIDC provider and node role")
    if ci.registry_enabled and not ci.runners_enabled:
        raise ConfigError("ci.registry", "{...}", "ci.registry together with ci.runners",
                          "the registry lets only the runners' IRSA role push; without runners nobody could push")
    if ci.runners_enabled:
        label_key, label_value = RUNNER_NODE_LABEL
        taint_key, taint_value, _ = RUNNER_NODE_TAINT
        if not any(
            g.labels.get(label_key) == label_value
            and any(t.key == taint_key and t.value == taint_value and t.effect == "NO_SCHEDULE" for t in g.taints)
            for g in cluster.node_groups
        ):
            raise ConfigError(
                "cluster.nodeGroups", [g.name for g in cluster.node_groups],
                f"a node group labelled {label_key}={label_value} with the taint "
                f"{taint_key}={taint_value}:NO_SCHEDULE",
                "ci.runners needs a dedicated, tainted node group (workflows run arbitrary code)",
            )


def _all_config_keys() -> set[str]:
    """Every config key the engine passed in (both ways the language host hands them over)."""
    return set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())


# Config namespaces the program's providers read; any other namespace is most likely a misspelt
# project name, whose keys would otherwise be silently ignored.
PROVIDER_NAMESPACES: Final = ("aws", "kubernetes", "pulumi")


def _refuse_unknown_keys(project: str, known: tuple[str, ...]) -> None:
    prefix = f"{project}:"
    for key in sorted(_all_config_keys()):
        namespace = key.split(":", 1)[0]
        if namespace != project and namespace not in PROVIDER_NAMESPACES:
            raise ConfigError(key, "<not shown>",
                              f"keys of the namespaces {', '.join((project, *PROVIDER_NAMESPACES))}",
                              f"unknown config namespace {namespace!r} (a misspelt project name?)")
        if key.startswith(prefix) and key[len(prefix):] not in known:
            value = "<secret, not shown>" if _is_secret(key) else _as_data(pulumi.runtime.get_config(key))
            raise ConfigError(key, value,
                              f"the keys {', '.join(prefix + k for k in sorted(known))}",
                              "unknown key")


def _as_data(text: object) -> object:
    """Structured values arrive as JSON text; show them decoded in messages."""
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return text


def _decode(config: pulumi.Config, key: str) -> object:
    """A structured key's value (the engine passes objects as JSON text); None when absent."""
    text = config.get(key)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigError(key, text, "an object (a YAML mapping in the stack file)",
                          "expected an object, got a string") from None


def _is_secret(full_key: str) -> bool:
    return pulumi.runtime.is_config_secret(full_key) or (
        full_key in pulumi.runtime.get_config_secret_keys_env()
    )


def _kubeconfig(config: pulumi.Config, project: str) -> Kubeconfig | None:
    """The `kubeconfig` key: must be a secret and parse as a kubeconfig; never echoed back."""
    text = config.get("kubeconfig")
    if not text:  # absent, or Pulumi.yaml's empty default
        return None
    how = "a secret kubeconfig: pulumi config set --secret kubeconfig < FILE"
    if not _is_secret(f"{project}:kubeconfig"):
        raise ConfigError("kubeconfig", REDACTED, how, "it is stored in plain text")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError("kubeconfig", REDACTED, how, "not YAML or JSON") from None
    if not isinstance(doc, dict) or doc.get("kind") != "Config":
        raise ConfigError("kubeconfig", REDACTED, how,
                          f"not a kubeconfig (kind: Config), got {type_name(doc)}")
    contexts = tuple(
        str(c["name"]) for c in doc.get("contexts") or [] if isinstance(c, dict) and "name" in c
    )
    if not contexts:
        raise ConfigError("kubeconfig", REDACTED, how, "the kubeconfig has no contexts")
    return Kubeconfig(contexts=contexts, value=pulumi.Output.secret(text))


__all__ = ["ConfigContext", "ConfigError", "PlatformConfig", "load", "section_parsers"]
