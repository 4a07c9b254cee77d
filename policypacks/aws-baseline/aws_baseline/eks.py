"""EKS control plane (`aws:eks/cluster:Cluster`): endpoint, secrets encryption, logs, access, version."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Policy, ResourceValidationArgs, Severity

from .meta import AwsResourcePolicy, Config
from .util import (
    PolicyConfigError,
    as_list,
    get,
    is_false,
    is_set,
    is_true,
    is_world_open,
    kubernetes_minor,
)

CLUSTER = "aws:eks/cluster:Cluster"
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
ACCESS_ENTRY_MODES = ("API", "API_AND_CONFIG_MAP")
# The oldest minor still in EKS (extended) support in December 2026; raise it as versions age out.
DEFAULT_MINIMUM_VERSION = "1.32"


def check_endpoint(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    vpc = get(args.props, "vpcConfig")
    public = get(vpc, "endpointPublicAccess")
    if is_false(public):
        return
    state = "true" if is_true(public) else "unset (AWS default: true)"
    cidrs = as_list(get(vpc, "publicAccessCidrs"))
    if not cidrs:
        yield (
            f"vpcConfig.endpointPublicAccess is {state} and vpcConfig.publicAccessCidrs is empty, so AWS "
            "opens the API endpoint to 0.0.0.0/0. Set vpcConfig.endpointPublicAccess to false (with "
            "endpointPrivateAccess true), or list only trusted ranges in vpcConfig.publicAccessCidrs."
        )
        return
    for index, cidr in enumerate(cidrs):
        if is_world_open(cidr):
            yield (
                f"vpcConfig.publicAccessCidrs[{index}] is {cidr}: the public API endpoint is open to the "
                "internet. Replace it with the trusted ranges that need the API, or set "
                "vpcConfig.endpointPublicAccess to false."
            )


def check_secrets_encryption(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    encryption = get(args.props, "encryptionConfig")
    if encryption is None:
        yield (
            "encryptionConfig is missing, so Kubernetes secrets are not envelope-encrypted with a "
            'customer-managed KMS key. Set encryptionConfig.resources to ["secrets"] and '
            "encryptionConfig.provider.keyArn to a KMS key with rotation."
        )
        return
    if "secrets" not in as_list(get(encryption, "resources")):
        yield 'encryptionConfig.resources does not contain "secrets"; set it to ["secrets"].'
    if not is_set(encryption, "provider.keyArn"):
        yield (
            "encryptionConfig.provider.keyArn is missing; set it to the ARN of a customer-managed "
            "KMS key with rotation enabled."
        )


def check_control_plane_logs(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    enabled = set(as_list(get(args.props, "enabledClusterLogTypes")))
    missing = [t for t in LOG_TYPES if t not in enabled]
    if missing:
        yield (
            f"enabledClusterLogTypes is missing {', '.join(missing)}; set it to "
            f"[{', '.join(LOG_TYPES)}] and create the /aws/eks/<name>/cluster log group (KMS, "
            "retention) before the cluster."
        )


def _authentication_mode(args: ResourceValidationArgs) -> tuple[str, str]:
    """(mode, how it was found); an unset mode is CONFIG_MAP, the EKS API default."""
    mode = get(args.props, "accessConfig.authenticationMode")
    if not mode:
        return "CONFIG_MAP", "unset (AWS default: CONFIG_MAP)"
    return str(mode), str(mode)


def check_access_entries(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    mode, shown = _authentication_mode(args)
    if mode not in ACCESS_ENTRY_MODES:
        yield (
            f"accessConfig.authenticationMode is {shown}: cluster access is managed only through the "
            'aws-auth ConfigMap, outside IAM and IaC. Set accessConfig.authenticationMode to "API" '
            "and grant access with aws.eks.AccessEntry resources."
        )


def check_api_only(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    mode, _ = _authentication_mode(args)
    if mode == "API_AND_CONFIG_MAP":
        yield (
            "accessConfig.authenticationMode is API_AND_CONFIG_MAP: the aws-auth ConfigMap can still "
            'grant access beside access entries. Once it is empty, set it to "API" (this change '
            "cannot be reverted)."
        )


def check_creator_admin(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    value = get(args.props, "accessConfig.bootstrapClusterCreatorAdminPermissions")
    if not is_false(value):
        state = "true" if is_true(value) else "unset (AWS default: true)"
        yield (
            f"accessConfig.bootstrapClusterCreatorAdminPermissions is {state}: whoever runs `pulumi up` "
            "(often a CI role) gets permanent, invisible cluster-admin. Set it to false and grant "
            "admins through explicit aws.eks.AccessEntry resources."
        )


def _minimum_version(cfg: Config) -> tuple[str, tuple[int, int]]:
    value = cfg.get("minimumVersion")
    parsed = kubernetes_minor(value)
    if parsed is None:
        raise PolicyConfigError(
            f"'minimumVersion' has value {value!r}; allowed: a string like \"1.32\" (quote it in YAML)"
        )
    return str(value), parsed


def check_version(args: ResourceValidationArgs, cfg: Config) -> Iterator[str]:
    minimum_text, minimum = _minimum_version(cfg)
    version = get(args.props, "version")
    if version is None:
        return  # EKS creates the newest supported version; nothing older can be chosen implicitly
    parsed = kubernetes_minor(version)
    if parsed is None:
        yield f'version is {version!r}, which is not a Kubernetes version like "{minimum_text}".'
    elif parsed < minimum:
        yield (
            f"version is {version}, older than the minimum supported {minimum_text}: it no longer gets "
            f"(or soon loses) security fixes. Upgrade one minor at a time to {minimum_text} or newer."
        )


POLICIES: list[Policy] = [
    AwsResourcePolicy(
        name="eks-endpoint-restricted",
        description="The EKS API endpoint is private, or public only to trusted CIDR ranges.",
        resource_types=[CLUSTER],
        check=check_endpoint,
        severity=Severity.CRITICAL,
        nist="SC-7",
        sp800204="C-4.4-3",
        remediation=(
            "Set vpc_config.endpoint_public_access=False and endpoint_private_access=True (the "
            "platform's EksCluster default). If public access is needed, set "
            "vpc_config.public_access_cidrs to the trusted ranges; never 0.0.0.0/0 or ::/0, and never "
            "leave it empty (AWS then uses 0.0.0.0/0)."
        ),
        topics=["eks", "network"],
    ),
    AwsResourcePolicy(
        name="eks-secrets-encrypted",
        description="Kubernetes secrets are envelope-encrypted with a customer-managed KMS key.",
        resource_types=[CLUSTER],
        check=check_secrets_encryption,
        severity=Severity.HIGH,
        nist="SC-28",
        sp800204="C-4.4-3",
        remediation=(
            "Create an aws.kms.Key with enable_key_rotation=True and set encryption_config="
            '{"provider": {"key_arn": key.arn}, "resources": ["secrets"]} on the cluster. Adding it '
            "to an existing cluster is possible; removing it is not."
        ),
        topics=["eks", "encryption"],
    ),
    AwsResourcePolicy(
        name="eks-control-plane-logs",
        description="All five EKS control-plane log types are sent to CloudWatch Logs.",
        resource_types=[CLUSTER],
        check=check_control_plane_logs,
        severity=Severity.MEDIUM,
        nist="AU-12",
        sp800204="C-4.4-3",
        remediation=(
            "Set enabled_cluster_log_types=['api', 'audit', 'authenticator', 'controllerManager', "
            "'scheduler'] and create the log group /aws/eks/<cluster>/cluster with KMS encryption "
            "and retention before the cluster (depends_on), so EKS does not create it unencrypted."
        ),
        topics=["eks", "logging"],
    ),
    AwsResourcePolicy(
        name="eks-access-entries",
        description="Cluster access is managed with EKS access entries, not only the aws-auth ConfigMap.",
        resource_types=[CLUSTER],
        check=check_access_entries,
        severity=Severity.MEDIUM,
        nist="AC-2",
        sp800204="C-4.4-3",
        remediation=(
            "Set access_config={'authentication_mode': 'API'} and declare every principal that needs "
            "the cluster as aws.eks.AccessEntry plus aws.eks.AccessPolicyAssociation resources."
        ),
        topics=["eks", "access-control"],
    ),
    AwsResourcePolicy(
        name="eks-access-entries-only",
        description="The aws-auth ConfigMap is off: authentication mode API, not API_AND_CONFIG_MAP.",
        resource_types=[CLUSTER],
        check=check_api_only,
        severity=Severity.LOW,
        nist="AC-2",
        sp800204="C-4.4-3",
        remediation=(
            "Migrate the remaining aws-auth ConfigMap entries to aws.eks.AccessEntry resources, then "
            "set access_config.authentication_mode='API'. Advisory: API_AND_CONFIG_MAP is the "
            "documented migration state and the terraform-aws-eks default."
        ),
        # Advisory by nature: API_AND_CONFIG_MAP is a legitimate, one-way migration step.
        enforcement=EnforcementLevel.ADVISORY,
        topics=["eks", "access-control"],
    ),
    AwsResourcePolicy(
        name="eks-no-creator-admin",
        description="The identity that creates the cluster gets no implicit cluster-admin access.",
        resource_types=[CLUSTER],
        check=check_creator_admin,
        severity=Severity.HIGH,
        nist="AC-6",
        sp800204="C-4.7-2",
        remediation=(
            "Set access_config={'authentication_mode': 'API', "
            "'bootstrap_cluster_creator_admin_permissions': False} and grant administrators "
            "explicitly with aws.eks.AccessEntry and the AmazonEKSClusterAdminPolicy association."
        ),
        topics=["eks", "access-control"],
    ),
    AwsResourcePolicy(
        name="eks-supported-version",
        description="The EKS cluster runs a Kubernetes version that still receives security fixes.",
        resource_types=[CLUSTER],
        check=check_version,
        severity=Severity.HIGH,
        nist="SI-2",
        sp800204="C-3.3.3-2",
        remediation=(
            "Set version to a supported minor (at least the configured minimumVersion) and upgrade "
            "one minor at a time, add-ons and node groups after the control plane."
        ),
        config={
            "minimumVersion": {
                "type": "string",
                "pattern": r"^v?[0-9]+\.[0-9]+(\.[0-9]+)?$",
                "default": DEFAULT_MINIMUM_VERSION,
                "description": 'Oldest Kubernetes minor allowed, as a string such as "1.32".',
            }
        },
        topics=["eks", "patching"],
    ),
]
