"""Self-hosted GitHub Actions runners on the cluster, hardened (SP 800-204C §4.6, C-4.6-1/2).

GitHub's Actions Runner Controller (ARC) from its official OCI charts at pinned versions:

- the controller in its own namespace, each runner scale set in a namespace of its own, every
  namespace labelled Pod Security "restricted";
- ephemeral just-in-time runners (one pod per job, deleted afterwards), min/max from the args;
- container mode `kubernetes-novolume` by default: a job's steps run in a job pod created by the
  runner through the container hooks, never in a privileged Docker daemon. The runner pod and the
  job pods (through a hook pod template) run as UID 1001 with every capability dropped, seccomp
  RuntimeDefault and no privilege escalation. Docker-in-Docker exists only as the named insecure
  option `docker_in_docker_insecure`, which the cicd-baseline pack still reports;
- runner and job pods scheduled only on a dedicated, tainted node group (RUNNER_NODE_LABEL and
  RUNNER_NODE_TAINT are what the cluster's node group config must carry);
- NetworkPolicies: no ingress at all; egress only to cluster DNS, to TCP 443 on public addresses
  (GitHub, ghcr.io, public AWS endpoints) and to TCP 443 on the given VPC CIDRs (the private EKS API
  endpoint and interface VPC endpoints). Private ranges and the instance metadata address are
  excluded from the public rule;
- the GitHub App credentials as a pre-created Secret, or from Pulumi secrets into a Kubernetes
  Secret: never plaintext in values;
- cloud access through IRSA: one role per scale set, trusted only by the cluster's OIDC provider for
  `system:serviceaccount:<runner namespace>:<scale set>-ci`. ArtifactRegistry attaches the ECR push
  permissions for exactly its repositories (pass `push_role_names` as its `attach_push_policy_to`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.chart_source import PSS_RESTRICTED_LABELS, ChartSource
from components.network_policy import NON_PUBLIC_CIDRS

ARC_CHARTS = "oci://ghcr.io/actions/actions-runner-controller-charts"
ARC_VERSION = "0.15.0"
CONTROLLER_CHART = ChartSource(f"{ARC_CHARTS}/gha-runner-scale-set-controller", ARC_VERSION)
SCALE_SET_CHART = ChartSource(f"{ARC_CHARTS}/gha-runner-scale-set", ARC_VERSION)
RUNNER_IMAGE = "ghcr.io/actions/actions-runner:2.338.0"
CONTROLLER_RELEASE = "arc"
# The controller chart names its ServiceAccount "<release>-gha-rs-controller".
CONTROLLER_SERVICE_ACCOUNT = f"{CONTROLLER_RELEASE}-gha-rs-controller"
RUNNER_UID = 1001  # the "runner" user of the official runner image
HOOK_TEMPLATE_DIR = "/home/runner/hook-template"

# The node group for runners must carry this label and this taint (effect NoSchedule), so runner
# and job pods land only there and nothing else does.
RUNNER_NODE_LABEL: tuple[str, str] = ("devsecops.io/node-pool", "ci-runners")
RUNNER_NODE_TAINT: tuple[str, str, str] = ("devsecops.io/ci-runners", "true", "NoSchedule")

# Excluded from the "public HTTPS" egress rule: private, carrier-grade NAT and link-local
# (instance metadata) ranges.
NON_PUBLIC_RANGES = NON_PUBLIC_CIDRS  # the ranges every public-HTTPS rule of the platform excepts

ContainerMode = Literal["kubernetes-novolume", "kubernetes", "none"]
CONTAINER_MODES: tuple[str, ...] = ("kubernetes-novolume", "kubernetes", "none")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_GITHUB_CONFIG_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?/?\Z")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?\Z")


@dataclass(frozen=True)
class GitHubAppCredentials:
    """A GitHub App's ids and private key, as Pulumi secrets."""

    app_id: pulumi.Input[str]
    installation_id: pulumi.Input[str]
    private_key: pulumi.Input[str]


@dataclass(frozen=True)
class RunnerScaleSetArgs:
    """One runner scale set: its GitHub registration, size, isolation and cloud access."""

    name: str
    """Scale set name; workflows select it with `runs-on: <name>` (a DNS label, at most 45 chars)."""
    github_config_url: str
    """`https://github.com/<org>` or `https://github.com/<org>/<repo>` the runners register with."""
    github_app_secret_name: str | None = None
    """A pre-created Secret in the runner namespace with github_app_id, github_app_installation_id and
    github_app_private_key; exactly one of this and `github_app`."""
    github_app: GitHubAppCredentials | None = None
    """GitHub App credentials from Pulumi secrets, written into a Kubernetes Secret."""
    namespace: str | None = None
    """Runner namespace; default `arc-<name>`."""
    min_runners: int = 0
    """Idle runners kept warm (0 scales to zero)."""
    max_runners: int = 5
    """Upper bound of concurrent runners."""
    runner_group: str = "default"
    """GitHub runner group (restrict it to selected repositories in GitHub)."""
    container_mode: ContainerMode = "kubernetes-novolume"
    """`kubernetes-novolume`: job steps run in a separate job pod; `kubernetes`: the same with a
    work volume; `none`: steps run in the runner container and the runner has no Kubernetes API access."""
    docker_in_docker_insecure: bool = False
    """INSECURE: a privileged Docker daemon sidecar per runner. Overrides container_mode; the runner
    namespace is labelled Pod Security "privileged"; cicd-runner-pods-not-privileged reports it."""
    runner_image: str = RUNNER_IMAGE
    """Runner image (mirror it for air-gapped clusters; the container must stay named `runner`)."""
    cpu_request: str = "500m"
    memory_request: str = "1Gi"
    cpu_limit: str = "2"
    memory_limit: str = "4Gi"
    work_volume_storage_class: str = "gp3"
    """StorageClass of the per-runner work volume (container_mode `kubernetes` only)."""
    work_volume_size: str = "10Gi"
    ecr_push: bool = True
    """Create the IRSA role whose name ArtifactRegistry gives ECR push rights."""

    @property
    def runner_namespace(self) -> str:
        return self.namespace or f"arc-{self.name}"

    @property
    def ci_service_account(self) -> str:
        return f"{self.name}-ci"

    @property
    def effective_mode(self) -> str:
        return "dind" if self.docker_in_docker_insecure else self.container_mode

    @property
    def needs_kubernetes_api(self) -> bool:
        return self.effective_mode in ("kubernetes", "kubernetes-novolume")


@dataclass(frozen=True)
class CiRunnersArgs:
    """The controller and the runner scale sets."""

    scale_sets: Sequence[RunnerScaleSetArgs]
    """At least one scale set."""
    controller_namespace: str = "arc-systems"
    """Namespace of the controller and of the listener pods (never a runner namespace)."""
    controller_chart: ChartSource = CONTROLLER_CHART
    """Chart source of gha-runner-scale-set-controller (override for a mirror or a local chart)."""
    scale_set_chart: ChartSource = SCALE_SET_CHART
    """Chart source of gha-runner-scale-set."""
    partition: str = "aws"
    """AWS partition of the IRSA roles' ARNs."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the IAM roles."""


def iam_role_name(*parts: str) -> str:
    """A deterministic IAM role name (at most 64 characters; long names keep a hash suffix)."""
    name = "-".join(parts)
    if len(name) <= 64:
        return name
    return f"{name[:55]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def validate_runners_args(args: CiRunnersArgs) -> list[str]:
    problems: list[str] = []
    if not args.scale_sets:
        problems.append("at least one scale set is required")
    if not _DNS_LABEL.match(args.controller_namespace):
        problems.append(f"controller_namespace {args.controller_namespace!r} is not a DNS label")
    names = [s.name for s in args.scale_sets]
    if len(set(names)) != len(names):
        problems.append("scale set names repeat")
    namespaces = [s.runner_namespace for s in args.scale_sets]
    if len(set(namespaces)) != len(namespaces):
        problems.append("scale set namespaces repeat: each scale set needs a namespace of its own")
    for s in args.scale_sets:
        where = f"scale set {s.name!r}"
        if not _DNS_LABEL.match(s.name) or len(s.name) > 45:
            problems.append(f"{where}: name must be a DNS label of at most 45 characters")
        if not _DNS_LABEL.match(s.runner_namespace) or len(s.runner_namespace) > 63:
            problems.append(f"{where}: namespace {s.runner_namespace!r} is not a DNS label")
        if s.runner_namespace == args.controller_namespace:
            problems.append(f"{where}: runners must not share the controller namespace")
        if not _GITHUB_CONFIG_URL.match(s.github_config_url):
            problems.append(f"{where}: github_config_url {s.github_config_url!r} is not https://host/org[/repo]")
        if (s.github_app_secret_name is None) == (s.github_app is None):
            problems.append(f"{where}: exactly one of github_app_secret_name and github_app must be set")
        if s.github_app_secret_name is not None and not _DNS_LABEL.match(s.github_app_secret_name):
            problems.append(f"{where}: github_app_secret_name {s.github_app_secret_name!r} is not a DNS label")
        if s.min_runners < 0 or s.max_runners < 1 or s.min_runners > s.max_runners:
            problems.append(f"{where}: need 0 <= min_runners <= max_runners and max_runners >= 1")
        if s.container_mode not in CONTAINER_MODES:
            problems.append(f"{where}: container_mode {s.container_mode!r} is not one of {', '.join(CONTAINER_MODES)}")
        for label, quantity in (("cpu_request", s.cpu_request), ("memory_request", s.memory_request),
                                ("cpu_limit", s.cpu_limit), ("memory_limit", s.memory_limit),
                                ("work_volume_size", s.work_volume_size)):
            if not _QUANTITY.match(quantity):
                problems.append(f"{where}: {label} {quantity!r} is not a Kubernetes quantity")
    return problems


def pod_security_context(*, run_as_non_root: bool = True) -> dict[str, Any]:
    context: dict[str, Any] = {"seccompProfile": {"type": "RuntimeDefault"}}
    if run_as_non_root:
        context.update(runAsNonRoot=True, runAsUser=RUNNER_UID, runAsGroup=RUNNER_UID, fsGroup=RUNNER_UID)
    return context


def container_security_context(**extra: Any) -> dict[str, Any]:
    """Pod Security "restricted" for one container."""
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
        **extra,
    }


def runner_scheduling() -> dict[str, Any]:
    """nodeSelector and toleration that pin a pod to the dedicated runner node group."""
    label_key, label_value = RUNNER_NODE_LABEL
    taint_key, taint_value, effect = RUNNER_NODE_TAINT
    return {
        "nodeSelector": {label_key: label_value},
        "tolerations": [{"key": taint_key, "operator": "Equal", "value": taint_value, "effect": effect}],
    }


def hook_pod_template(scale_set: RunnerScaleSetArgs) -> dict[str, Any]:
    """The pod template the container hooks merge into every job pod.

    Job pods run user-chosen images; this keeps them on the runner nodes, non-root and unprivileged
    (Pod Security "restricted"), and gives them the IRSA service account for ECR push.
    """
    spec: dict[str, Any] = {
        "securityContext": pod_security_context(),
        **runner_scheduling(),
        "containers": [{"name": "$job", "securityContext": container_security_context()}],
    }
    if scale_set.ecr_push:
        spec["serviceAccountName"] = scale_set.ci_service_account
    return {"spec": spec}


def scale_set_values(
    scale_set: RunnerScaleSetArgs,
    *,
    github_secret_name: str,
    controller_namespace: str,
    hook_config_map: str | None,
) -> dict[str, Any]:
    """Values for the gha-runner-scale-set chart."""
    mode = scale_set.effective_mode
    runner: dict[str, Any] = {
        "name": "runner",
        "image": scale_set.runner_image,
        "command": ["/home/runner/run.sh"],
        "resources": {
            "requests": {"cpu": scale_set.cpu_request, "memory": scale_set.memory_request},
            "limits": {"cpu": scale_set.cpu_limit, "memory": scale_set.memory_limit},
        },
        "securityContext": container_security_context(runAsUser=RUNNER_UID, runAsGroup=RUNNER_UID),
    }
    spec: dict[str, Any] = {
        "securityContext": pod_security_context(run_as_non_root=mode != "dind"),
        **runner_scheduling(),
        "containers": [runner],
    }
    if scale_set.needs_kubernetes_api:
        if hook_config_map:
            runner["env"] = [
                {"name": "ACTIONS_RUNNER_CONTAINER_HOOK_TEMPLATE", "value": f"{HOOK_TEMPLATE_DIR}/template.yaml"}
            ]
            runner["volumeMounts"] = [{"name": "hook-template", "mountPath": HOOK_TEMPLATE_DIR, "readOnly": True}]
            spec["volumes"] = [{"name": "hook-template", "configMap": {"name": hook_config_map}}]
    else:
        # The runner itself runs the steps: it gets the IRSA account and no Kubernetes API token.
        spec["automountServiceAccountToken"] = False
        if scale_set.ecr_push:
            spec["serviceAccountName"] = scale_set.ci_service_account

    values: dict[str, Any] = {
        "githubConfigUrl": scale_set.github_config_url,
        "githubConfigSecret": github_secret_name,
        "runnerScaleSetName": scale_set.name,
        "runnerGroup": scale_set.runner_group,
        "minRunners": scale_set.min_runners,
        "maxRunners": scale_set.max_runners,
        # Explicit, so the chart needs no cluster lookup to find the controller.
        "controllerServiceAccount": {"namespace": controller_namespace, "name": CONTROLLER_SERVICE_ACCOUNT},
        "listenerTemplate": {
            "spec": {
                "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {
                        "name": "listener",
                        "securityContext": container_security_context(readOnlyRootFilesystem=True),
                        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                      "limits": {"cpu": "250m", "memory": "256Mi"}},
                    }
                ],
            }
        },
        "template": {"spec": spec},
    }
    if mode != "none":
        values["containerMode"] = {"type": mode}
    if mode == "kubernetes":
        values["containerMode"]["kubernetesModeWorkVolumeClaim"] = {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": scale_set.work_volume_storage_class,
            "resources": {"requests": {"storage": scale_set.work_volume_size}},
        }
    return values


def controller_values() -> dict[str, Any]:
    """Values for the gha-runner-scale-set-controller chart."""
    return {
        "replicaCount": 1,
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": container_security_context(readOnlyRootFilesystem=True),
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "flags": {"logFormat": "json"},
    }


def egress_rules(vpc_egress_cidrs: Sequence[str]) -> list[k8s.networking.v1.NetworkPolicyEgressRuleArgs]:
    """DNS, HTTPS to public addresses, HTTPS to the given VPC CIDRs; nothing else."""
    net = k8s.networking.v1
    https = [net.NetworkPolicyPortArgs(protocol="TCP", port=443)]
    rules = [
        net.NetworkPolicyEgressRuleArgs(
            to=[
                net.NetworkPolicyPeerArgs(
                    namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                        match_labels={"kubernetes.io/metadata.name": "kube-system"}
                    ),
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
                )
            ],
            ports=[
                net.NetworkPolicyPortArgs(protocol="UDP", port=53),
                net.NetworkPolicyPortArgs(protocol="TCP", port=53),
            ],
        ),
        net.NetworkPolicyEgressRuleArgs(
            to=[net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr="0.0.0.0/0", except_=NON_PUBLIC_RANGES))],
            ports=https,
        ),
    ]
    if vpc_egress_cidrs:
        rules.append(
            net.NetworkPolicyEgressRuleArgs(
                to=[net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=cidr)) for cidr in vpc_egress_cidrs],
                ports=https,
            )
        )
    return rules


def irsa_trust_policy(oidc_provider_arn: str, issuer_url: str, namespace: str, service_account: str) -> dict[str, Any]:
    """Trust for exactly one Kubernetes service account through the cluster's OIDC provider."""
    issuer = issuer_url.removeprefix("https://")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RunnerServiceAccount",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


class CiRunners(pulumi.ComponentResource):
    """ARC controller plus hardened, ephemeral runner scale sets on a dedicated node group."""

    controller_namespace: str
    runner_namespaces: dict[str, str]
    push_role_arns: list[pulumi.Output[str]]
    push_role_names: list[pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: CiRunnersArgs,
        *,
        k8s_provider: k8s.Provider,
        oidc_provider_arn: pulumi.Input[str],
        oidc_issuer_url: pulumi.Input[str],
        vpc_egress_cidrs: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`k8s_provider`, `oidc_provider_arn` and `oidc_issuer_url` come from the EKS cluster;
        `vpc_egress_cidrs`: CIDRs reachable on TCP 443 inside the VPC (the private API endpoint's and
        the interface VPC endpoints' subnets)."""
        super().__init__("devsecops:ci:CiRunners", name, None, opts)
        problems = validate_runners_args(args)
        if problems:
            raise ValueError(f"CiRunners {name}: " + "; ".join(problems))
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=k8s_provider)
        tags = dict(args.tags)
        self.controller_namespace = args.controller_namespace
        self.runner_namespaces = {}
        self.push_role_arns = []
        self.push_role_names = []

        controller_ns = k8s.core.v1.Namespace(
            f"{name}-controller",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.controller_namespace, labels=PSS_RESTRICTED_LABELS),
            opts=k8s_opts,
        )
        self._network_policies(f"{name}-controller", args.controller_namespace, vpc_egress_cidrs, controller_ns,
                               k8s_opts)
        controller = k8s.helm.v4.Chart(
            f"{name}-controller",
            args.controller_chart.chart_args(
                release_name=CONTROLLER_RELEASE, namespace=args.controller_namespace, values=controller_values()
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=k8s_provider, depends_on=[controller_ns]),
        )

        for scale_set in args.scale_sets:
            self._scale_set(name, args, scale_set, controller, k8s_provider, oidc_provider_arn, oidc_issuer_url,
                            vpc_egress_cidrs, tags)

        self.register_outputs(
            {
                "controller_namespace": self.controller_namespace,
                "runner_namespaces": self.runner_namespaces,
                "push_role_arns": self.push_role_arns,
            }
        )

    def _network_policies(
        self,
        prefix: str,
        namespace: str,
        vpc_egress_cidrs: Sequence[str],
        ns: k8s.core.v1.Namespace,
        k8s_opts: pulumi.ResourceOptions,
    ) -> None:
        opts = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[ns]))
        k8s.networking.v1.NetworkPolicy(
            f"{prefix}-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny", namespace=namespace),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
            ),
            opts=opts,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{prefix}-allow-egress",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-dns-and-https-egress", namespace=namespace),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Egress"],
                egress=egress_rules(vpc_egress_cidrs),
            ),
            opts=opts,
        )

    def _scale_set(
        self,
        name: str,
        args: CiRunnersArgs,
        scale_set: RunnerScaleSetArgs,
        controller: k8s.helm.v4.Chart,
        k8s_provider: k8s.Provider,
        oidc_provider_arn: pulumi.Input[str],
        oidc_issuer_url: pulumi.Input[str],
        vpc_egress_cidrs: Sequence[str],
        tags: dict[str, str],
    ) -> None:
        prefix = f"{name}-{scale_set.name}"
        namespace = scale_set.runner_namespace
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=k8s_provider)
        labels = dict(PSS_RESTRICTED_LABELS)
        if scale_set.docker_in_docker_insecure:
            # A privileged daemon cannot run under "restricted"; say so in the namespace itself.
            labels = {
                "pod-security.kubernetes.io/enforce": "privileged",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            }
        ns = k8s.core.v1.Namespace(
            prefix, metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace, labels=labels), opts=k8s_opts
        )
        in_ns = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[ns]))
        self._network_policies(prefix, namespace, vpc_egress_cidrs, ns, k8s_opts)
        self.runner_namespaces[scale_set.name] = namespace
        chart_deps: list[pulumi.Resource] = [ns, controller]

        secret_name = scale_set.github_app_secret_name or f"{scale_set.name}-github-app"
        if scale_set.github_app is not None:
            app = scale_set.github_app
            chart_deps.append(
                k8s.core.v1.Secret(
                    f"{prefix}-github-app",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=namespace),
                    type="Opaque",
                    string_data={
                        "github_app_id": pulumi.Output.secret(app.app_id),
                        "github_app_installation_id": pulumi.Output.secret(app.installation_id),
                        "github_app_private_key": pulumi.Output.secret(app.private_key),
                    },
                    opts=in_ns,
                )
            )

        if scale_set.ecr_push:
            # A deterministic name, so the ARN other resources refer to (the ECR repository policy) is
            # known at preview and can be checked by policy before deployment.
            role_name = iam_role_name(pulumi.get_stack(), prefix, "push")
            role = aws.iam.Role(
                f"{prefix}-push",
                name=role_name,
                description=f"ECR push for the {scale_set.name} runner scale set (IRSA)",
                assume_role_policy=pulumi.Output.all(oidc_provider_arn, oidc_issuer_url).apply(
                    lambda v: json.dumps(irsa_trust_policy(v[0], v[1], namespace, scale_set.ci_service_account))
                ),
                max_session_duration=3600,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
            partition = args.partition
            # The URN (known at preview) carries the dependency on the role; the ARN is computed.
            self.push_role_arns.append(
                pulumi.Output.all(role.urn, account_id).apply(
                    lambda v: f"arn:{partition}:iam::{v[1]}:role/{role_name}"
                )
            )
            self.push_role_names.append(pulumi.Output.all(role.urn).apply(lambda _: role_name))
            chart_deps.append(
                k8s.core.v1.ServiceAccount(
                    f"{prefix}-ci",
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        name=scale_set.ci_service_account,
                        namespace=namespace,
                        annotations={"eks.amazonaws.com/role-arn": self.push_role_arns[-1]},
                    ),
                    # Job steps need AWS credentials (IRSA injects its own token), not the Kubernetes API.
                    automount_service_account_token=False,
                    opts=in_ns,
                )
            )

        hook_config_map: str | None = None
        if scale_set.needs_kubernetes_api:
            hook_config_map = f"{scale_set.name}-hook-template"
            chart_deps.append(
                k8s.core.v1.ConfigMap(
                    f"{prefix}-hook-template",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=hook_config_map, namespace=namespace),
                    data={"template.yaml": json.dumps(hook_pod_template(scale_set), indent=2)},
                    opts=in_ns,
                )
            )

        k8s.helm.v4.Chart(
            prefix,
            args.scale_set_chart.chart_args(
                release_name=scale_set.name,
                namespace=namespace,
                values=scale_set_values(
                    scale_set,
                    github_secret_name=secret_name,
                    controller_namespace=args.controller_namespace,
                    hook_config_map=hook_config_map,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=k8s_provider, depends_on=chart_deps),
        )
