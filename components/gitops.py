"""Pull-based GitOps: Argo CD inside the cluster deploys the applications (SP 800-204C §4.7, C-4.7-1/2).

Why Argo CD rather than Flux: its AppProject gives a declarative, auditable allow-list of the
source repository, the destination namespaces and the resource kinds, and the official chart can
drop every ClusterRole (`createClusterRoles: false`), so the controller's rights are exactly the
namespaced Roles this component binds. Flux's controllers are bound to cluster-admin by default.

- The official `argo-cd` chart from https://argoproj.github.io/argo-helm at a pinned version.
- It watches one deployment repository with read-only credentials: a read-only deploy key or token
  from Pulumi secrets written into a repository Secret, or a pre-created repository Secret.
- An Application with `syncPolicy.automated` `selfHeal: true` and `prune: true`: drift in the
  cluster is reverted to the repository (C-4.3-2).
- RBAC only in the application namespaces: the in-cluster destination is restricted to them
  (`namespaces`, `clusterResources: "false"`), the controller gets a Role per namespace (workload
  kinds only: no RBAC, NetworkPolicy or Istio security kinds, which the platform owns), and the
  AppProject allows those namespaces only, with an empty cluster-resource whitelist. Nothing is
  bound to cluster-admin unless the named insecure option `cluster_admin_insecure` is set, which
  cicd-gitops-not-cluster-admin reports.
- Every Argo CD pod meets Pod Security "restricted" through chart values, in a namespace labelled
  so; default-deny ingress and egress NetworkPolicies, the chart's per-component ingress
  policies and an egress allow list (namespace-internal, DNS, the API at private addresses, and
  the repository at public addresses or `repo_cidrs`, for the repo server only) fence it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components.automount import automount_reason
from components.chart_source import PSS_RESTRICTED_LABELS, ChartSource
from components.network_policy import PRIVATE_RANGES, dns_egress_rule, ip_block_peers, public_peers

ARGO_CD_CHART = ChartSource("argo-cd", "10.10.0", "https://argoproj.github.io/argo-helm")
ARGO_CD_RELEASE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
# With fullnameOverride "argocd" the chart names its service accounts like this.
CONTROLLER_SERVICE_ACCOUNT = "argocd-application-controller"
SERVER_SERVICE_ACCOUNT = "argocd-server"
PROJECT = "platform-apps"

_VERBS_WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"]
_VERBS_READ = ["get", "list", "watch"]
# What the controller may manage in an application namespace: workloads and their configuration.
# Deliberately absent: rbac.authorization.k8s.io, NetworkPolicy, ResourceQuota, LimitRange and the
# Istio security and egress kinds, which the platform's Pulumi code owns (zero trust stays with it).
APP_RESOURCE_RULES: list[tuple[str, list[str], list[str]]] = [
    ("", ["configmaps", "secrets", "services", "serviceaccounts", "persistentvolumeclaims"], _VERBS_WRITE),
    ("", ["pods", "pods/log", "events", "endpoints"], _VERBS_READ),
    ("apps", ["deployments", "statefulsets"], _VERBS_WRITE),
    ("apps", ["replicasets"], _VERBS_READ),
    ("batch", ["jobs", "cronjobs"], _VERBS_WRITE),
    ("autoscaling", ["horizontalpodautoscalers"], _VERBS_WRITE),
    ("policy", ["poddisruptionbudgets"], _VERBS_WRITE),
    ("networking.k8s.io", ["ingresses"], _VERBS_WRITE),
    ("networking.istio.io", ["virtualservices", "destinationrules"], _VERBS_WRITE),
    ("discovery.k8s.io", ["endpointslices"], _VERBS_READ),
]
# The same kinds, refused again at the AppProject level (defence in depth).
PROJECT_DENIED_KINDS = [
    {"group": "rbac.authorization.k8s.io", "kind": "*"},
    {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
    {"group": "security.istio.io", "kind": "*"},
    {"group": "networking.istio.io", "kind": "Sidecar"},
    {"group": "networking.istio.io", "kind": "ServiceEntry"},
    {"group": "", "kind": "ResourceQuota"},
    {"group": "", "kind": "LimitRange"},
]
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_REPO_URL = re.compile(r"^(https://[A-Za-z0-9.-]+(:\d+)?/\S+|ssh://git@\S+|git@[A-Za-z0-9.-]+:\S+)\Z")


@dataclass(frozen=True)
class GitOpsArgs:
    """The deployment repository Argo CD pulls from and the namespaces it may deploy into."""

    repo_url: str
    """The deployment repository (`https://...` or `git@host:org/repo.git`)."""
    app_namespaces: Sequence[str]
    """The only namespaces Argo CD may deploy into; the first is the Application's default."""
    path: str = "."
    """Directory inside the repository with the manifests (plain YAML, Kustomize or Helm)."""
    revision: str = "main"
    """Branch, tag or commit to follow."""
    namespace: str = "argocd"
    """Namespace of Argo CD itself."""
    chart: ChartSource = ARGO_CD_CHART
    """Chart source of argo-cd (override for a mirror or a local chart)."""
    credentials_secret_name: str | None = None
    """A pre-created repository Secret in `namespace` (labelled argocd.argoproj.io/secret-type:
    repository); or give `ssh_private_key` or `https_token`, or neither for a public repository."""
    ssh_private_key: pulumi.Input[str] | None = None
    """A read-only deploy key, as a Pulumi secret."""
    https_username: str = "git"
    """User name sent with `https_token`."""
    https_token: pulumi.Input[str] | None = None
    """A read-only (contents: read) token, as a Pulumi secret."""
    application_name: str = "apps"
    """Name of the Argo CD Application."""
    create_app_namespaces: bool = False
    """Create the application namespaces (labelled Pod Security "restricted"); else they must exist."""
    repo_cidrs: Sequence[str] = ()
    """Where a private Git server is (CIDR blocks); the repo server may dial only these on the
    repository's port. Empty: the repository is on a public address, so only public addresses."""
    cluster_admin_insecure: bool = False
    """INSECURE: let the chart create its cluster-wide roles (the application controller gets every
    verb on every resource, i.e. cluster-admin). Reported by cicd-gitops-not-cluster-admin."""


def validate_gitops_args(args: GitOpsArgs) -> list[str]:
    problems: list[str] = []
    if not _REPO_URL.match(args.repo_url):
        problems.append(f"repo_url {args.repo_url!r} is not an https:// or SSH Git URL")
    if not args.app_namespaces:
        problems.append("at least one application namespace is required")
    for ns in [*args.app_namespaces, args.namespace]:
        if not _DNS_LABEL.match(ns) or len(ns) > 63:
            problems.append(f"namespace {ns!r} is not a DNS label")
    if args.namespace in args.app_namespaces:
        problems.append("Argo CD's own namespace must not be an application namespace")
    if args.namespace in ("kube-system", "default") or any(ns in ("kube-system", "kube-public")
                                                            for ns in args.app_namespaces):
        problems.append("system namespaces cannot be GitOps namespaces")
    given = [x is not None for x in (args.credentials_secret_name, args.ssh_private_key, args.https_token)]
    if sum(given) > 1:
        problems.append("give at most one of credentials_secret_name, ssh_private_key and https_token")
    if args.ssh_private_key is not None and args.repo_url.startswith("https://"):
        problems.append("ssh_private_key needs an SSH repo_url")
    if args.https_token is not None and not args.repo_url.startswith("https://"):
        problems.append("https_token needs an https:// repo_url")
    return problems


def argocd_values(args: GitOpsArgs) -> dict[str, Any]:
    """Chart values: no cluster roles, restricted pods, namespaced in-cluster access."""
    container = {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }

    def component(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
        return {
            "containerSecurityContext": container,
            "resources": {"requests": {"cpu": cpu, "memory": memory},
                          "limits": {"cpu": cpu_limit, "memory": memory_limit}},
        }

    return {
        "fullnameOverride": ARGO_CD_RELEASE,
        "crds": {"install": True, "keep": True},
        "createClusterRoles": args.cluster_admin_insecure,
        "createAggregateRoles": False,
        "global": {
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            # The chart's per-component policies allow Argo CD's own flows; the namespace-wide
            # default deny is the component's (visible to policy before the chart renders).
            "networkPolicy": {"create": True, "defaultDenyIngress": False},
        },
        "configs": {
            "cm": {
                # Watch only the kinds the controller's Roles allow, instead of failing on the rest.
                "resource.respectRBAC": "normal",
                "exec.enabled": False,
                "admin.enabled": False,
            },
        },
        "dex": {"enabled": False},
        "notifications": {"enabled": False},
        "controller": {
            **component("250m", "512Mi", "1", "2Gi"),
            "podAnnotations": automount_reason("the controller reads and applies the Applications' resources"),
        },
        "server": {
            **component("100m", "128Mi", "500m", "512Mi"),
            "podAnnotations": automount_reason("the API server reads Applications and the cluster's live state"),
        },
        # The repo server only renders manifests from Git: it never calls the Kubernetes API.
        "repoServer": {**component("100m", "256Mi", "1", "1Gi"), "automountServiceAccountToken": False},
        "applicationSet": component("50m", "64Mi", "250m", "256Mi"),
        "redis": {
            **component("100m", "64Mi", "500m", "256Mi"),
            "securityContext": {"runAsNonRoot": True, "runAsUser": 999, "seccompProfile": {"type": "RuntimeDefault"}},
        },
        "redisSecretInit": component("50m", "32Mi", "100m", "64Mi"),
    }


def repo_port(repo_url: str) -> int:
    """The TCP port Argo CD dials for the deployment repository (validated URL forms only)."""
    match = re.match(r"^(https|ssh)://(?:[^@/]+@)?[A-Za-z0-9.-]+(?::(\d+))?/", repo_url)
    if match and match.group(2):
        return int(match.group(2))
    return 443 if repo_url.startswith("https://") else 22


REPO_SERVER_SELECTOR = {"matchLabels": {"app.kubernetes.io/component": "repo-server"}}  # argo-helm's label


def argocd_egress_specs(args: GitOpsArgs, api_server_cidrs: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Policy name -> spec: what Argo CD may dial under the namespace's default-deny egress.

    - every pod: its own components (server, repo server, controller, Redis), kube-dns, and the
      Kubernetes API on 443 at `api_server_cidrs` (the VPC on a managed cluster; else the private
      ranges, never link-local). The API server's endpoints (EKS control-plane ENIs) have no labels.
    - the repo server alone: the deployment repository on its port, at `args.repo_cidrs`, or at
      any public address (not private, CGNAT or link-local) when the Git host is not given.
    """
    return {
        "argocd-allow-egress": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"podSelector": {}}]},
                dns_egress_rule(),
                {"to": ip_block_peers(api_server_cidrs or PRIVATE_RANGES), "ports": [{"port": 443, "protocol": "TCP"}]},
            ],
        },
        "argocd-allow-repository": {
            "podSelector": REPO_SERVER_SELECTOR,
            "policyTypes": ["Egress"],
            "egress": [{
                "to": ip_block_peers(args.repo_cidrs) or public_peers(),
                "ports": [{"port": repo_port(args.repo_url), "protocol": "TCP"}],
            }],
        },
    }


def app_project(args: GitOpsArgs) -> dict[str, Any]:
    return {
        "description": "Applications pulled from the deployment repository, confined to their namespaces",
        "sourceRepos": [args.repo_url],
        "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in args.app_namespaces],
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": PROJECT_DENIED_KINDS,
    }


def application(args: GitOpsArgs) -> dict[str, Any]:
    return {
        "project": PROJECT,
        "source": {"repoURL": args.repo_url, "targetRevision": args.revision, "path": args.path},
        "destination": {"server": IN_CLUSTER, "namespace": args.app_namespaces[0]},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["CreateNamespace=false", "PrunePropagationPolicy=foreground"],
            "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
        },
    }


def _rules(read_only: bool) -> list[k8s.rbac.v1.PolicyRuleArgs]:
    return [
        k8s.rbac.v1.PolicyRuleArgs(api_groups=[group], resources=resources, verbs=_VERBS_READ if read_only else verbs)
        for group, resources, verbs in APP_RESOURCE_RULES
    ]


class GitOps(pulumi.ComponentResource):
    """Argo CD, confined to the application namespaces, pulling one deployment repository."""

    namespace: str
    application_name: str

    def __init__(
        self,
        name: str,
        args: GitOpsArgs,
        *,
        k8s_provider: k8s.Provider,
        api_server_cidrs: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`k8s_provider`: the cluster's Kubernetes provider. `api_server_cidrs`: where the API
        server's endpoints are (the VPC CIDR on EKS); empty means the private ranges."""
        super().__init__("devsecops:ci:GitOps", name, None, opts)
        problems = validate_gitops_args(args)
        if problems:
            raise ValueError(f"GitOps {name}: " + "; ".join(problems))
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=k8s_provider)
        self.namespace = args.namespace
        self.application_name = args.application_name

        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels=PSS_RESTRICTED_LABELS),
            opts=k8s_opts,
        )
        in_ns = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[ns]))
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny-ingress", namespace=args.namespace),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress"]
            ),
            opts=in_ns,
        )
        # Egress is denied too, then opened to what Argo CD needs (argocd_egress_specs).
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny-egress",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny-egress", namespace=args.namespace),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Egress"]
            ),
            opts=in_ns,
        )
        for policy_name, spec in argocd_egress_specs(args, api_server_cidrs).items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy_name.removeprefix('argocd-')}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=policy_name, namespace=args.namespace),
                spec=cast(k8s.networking.v1.NetworkPolicySpecArgsDict, spec),
                opts=in_ns,
            )
        app_ns_deps: list[pulumi.Resource] = []
        if args.create_app_namespaces:
            for app_ns in args.app_namespaces:
                app_ns_deps.append(
                    k8s.core.v1.Namespace(
                        f"{name}-{app_ns}",
                        metadata=k8s.meta.v1.ObjectMetaArgs(name=app_ns, labels=PSS_RESTRICTED_LABELS),
                        opts=k8s_opts,
                    )
                )

        chart = k8s.helm.v4.Chart(
            f"{name}-argocd",
            args.chart.chart_args(release_name=ARGO_CD_RELEASE, namespace=args.namespace, values=argocd_values(args)),
            opts=pulumi.ResourceOptions(parent=self, provider=k8s_provider, depends_on=[ns]),
        )

        # The in-cluster destination, restricted to the application namespaces and to no
        # cluster-scoped resources. Without credentials Argo CD uses its own service account.
        k8s.core.v1.Secret(
            f"{name}-in-cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="argocd-cluster-in-cluster",
                namespace=args.namespace,
                labels={"argocd.argoproj.io/secret-type": "cluster"},
            ),
            string_data={
                "name": "in-cluster",
                "server": IN_CLUSTER,
                "namespaces": ",".join(args.app_namespaces),
                "clusterResources": "false",
                "config": json.dumps({"tlsClientConfig": {"insecure": False}}),
            },
            opts=in_ns,
        )
        self._repository_secret(name, args, in_ns)

        rbac_opts = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=app_ns_deps))
        for app_ns in args.app_namespaces:
            for who, account, read_only in (("controller", CONTROLLER_SERVICE_ACCOUNT, False),
                                            ("server", SERVER_SERVICE_ACCOUNT, True)):
                role_name = f"argocd-{who}"
                k8s.rbac.v1.Role(
                    f"{name}-{app_ns}-{who}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=role_name, namespace=app_ns),
                    rules=_rules(read_only),
                    opts=rbac_opts,
                )
                k8s.rbac.v1.RoleBinding(
                    f"{name}-{app_ns}-{who}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=role_name, namespace=app_ns),
                    role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role",
                                                     name=role_name),
                    subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=account, namespace=args.namespace)],
                    opts=rbac_opts,
                )

        after_chart = pulumi.ResourceOptions(parent=self, provider=k8s_provider, depends_on=[chart])
        project = k8s.apiextensions.CustomResource(
            f"{name}-project",
            api_version="argoproj.io/v1alpha1",
            kind="AppProject",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=PROJECT, namespace=args.namespace),
            spec=app_project(args),
            opts=after_chart,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-application",
            api_version="argoproj.io/v1alpha1",
            kind="Application",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.application_name, namespace=args.namespace),
            spec=application(args),
            opts=pulumi.ResourceOptions(parent=self, provider=k8s_provider, depends_on=[chart, project]),
        )
        self.register_outputs({"namespace": self.namespace, "application_name": self.application_name})

    def _repository_secret(self, name: str, args: GitOpsArgs, opts: pulumi.ResourceOptions) -> None:
        if args.ssh_private_key is None and args.https_token is None:
            return  # public repository, or the pre-created credentials_secret_name
        data: dict[str, pulumi.Input[str]] = {"type": "git", "url": args.repo_url}
        if args.ssh_private_key is not None:
            data["sshPrivateKey"] = pulumi.Output.secret(args.ssh_private_key)
        else:
            assert args.https_token is not None
            data["username"] = args.https_username
            data["password"] = pulumi.Output.secret(args.https_token)
        k8s.core.v1.Secret(
            f"{name}-repository",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="deployment-repository",
                namespace=args.namespace,
                labels={"argocd.argoproj.io/secret-type": "repository"},
            ),
            string_data=data,
            opts=opts,
        )
