"""GitOps under mocks: pinned Argo CD, self-heal, namespaced RBAC, read-only repository credentials."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.gitops import GitOps, GitOpsArgs
from tests.ci_mocks import RecordingMocks, build, is_secret, provider, unsecret

REPO = "git@github.com:acme/deploy.git"


def _gitops(**kwargs: Any) -> RecordingMocks:
    base: dict[str, Any] = {"repo_url": REPO, "app_namespaces": ["shop", "payments"]}
    base.update(kwargs)
    mocks, _ = build(lambda: GitOps("gitops", GitOpsArgs(**base), k8s_provider=provider()))
    return mocks


def _values(mocks: RecordingMocks) -> dict[str, Any]:
    chart = mocks.one("kubernetes:helm.sh/v4:Chart", "gitops-argocd").inputs
    values: dict[str, Any] = chart["values"]
    return values


def test_official_argo_cd_chart_at_a_pinned_version() -> None:
    chart = _gitops().one("kubernetes:helm.sh/v4:Chart", "gitops-argocd").inputs
    assert chart["chart"] == "argo-cd"
    assert chart["version"] == "10.10.0"
    assert chart["repositoryOpts"] == {"repo": "https://argoproj.github.io/argo-helm"}
    assert chart["namespace"] == "argocd"


def test_no_cluster_roles_and_no_cluster_admin() -> None:
    mocks = _gitops()
    values = _values(mocks)
    assert values["createClusterRoles"] is False
    assert values["createAggregateRoles"] is False
    assert mocks.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding") == []
    assert mocks.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole") == []
    for binding in mocks.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"):
        assert binding.inputs["roleRef"]["kind"] == "Role"
        assert binding.inputs["roleRef"]["name"] != "cluster-admin"


def test_controller_rbac_is_namespaced_to_the_application_namespaces() -> None:
    mocks = _gitops()
    roles = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs["rules"]
             for r in mocks.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")}
    assert sorted(roles) == [("payments", "argocd-controller"), ("payments", "argocd-server"),
                             ("shop", "argocd-controller"), ("shop", "argocd-server")]
    controller_rules = roles[("shop", "argocd-controller")]
    groups = {g for rule in controller_rules for g in rule["apiGroups"]}
    assert "rbac.authorization.k8s.io" not in groups and "security.istio.io" not in groups and "*" not in groups
    assert all("*" not in rule["resources"] and "*" not in rule["verbs"] for rule in controller_rules)
    assert not any("networkpolicies" in rule["resources"] for rule in controller_rules)
    server_verbs = {v for rule in roles[("shop", "argocd-server")] for v in rule["verbs"]}
    assert server_verbs == {"get", "list", "watch"}
    binding = mocks.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "gitops-shop-controller").inputs
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "argocd-application-controller",
                                    "namespace": "argocd"}]
    cluster = mocks.one("kubernetes:core/v1:Secret", "gitops-in-cluster").inputs
    assert cluster["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "cluster"}
    data = unsecret(cluster["stringData"])
    assert data["namespaces"] == "shop,payments"
    assert data["clusterResources"] == "false"
    assert data["server"] == "https://kubernetes.default.svc"


def test_application_self_heals_and_prunes_from_the_deployment_repository() -> None:
    mocks = _gitops(path="envs/prod", revision="release")
    app = mocks.one("kubernetes:argoproj.io/v1alpha1:Application", "gitops-application").inputs
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert app["spec"]["source"] == {"repoURL": REPO, "targetRevision": "release", "path": "envs/prod"}
    assert app["spec"]["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "shop"}
    assert app["spec"]["project"] == "platform-apps"


def test_app_project_restricts_source_destinations_and_cluster_resources() -> None:
    project = _gitops().one("kubernetes:argoproj.io/v1alpha1:AppProject", "gitops-project").inputs["spec"]
    assert project["sourceRepos"] == [REPO]
    assert project["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": "shop"},
        {"server": "https://kubernetes.default.svc", "namespace": "payments"},
    ]
    assert project["clusterResourceWhitelist"] == []
    assert {"group": "rbac.authorization.k8s.io", "kind": "*"} in project["namespaceResourceBlacklist"]


def test_argo_cd_pods_meet_pod_security_restricted() -> None:
    mocks = _gitops()
    values = _values(mocks)
    for component in ("controller", "server", "repoServer", "applicationSet", "redis", "redisSecretInit"):
        context = values[component]["containerSecurityContext"]
        assert context["runAsNonRoot"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert set(values[component]["resources"]) == {"requests", "limits"}
    assert values["global"]["securityContext"]["runAsNonRoot"] is True
    assert values["dex"]["enabled"] is False
    deny = mocks.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "gitops-default-deny-ingress").inputs
    assert deny["metadata"]["namespace"] == "argocd"
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert values["global"]["networkPolicy"]["create"] is True
    ns = mocks.one("kubernetes:core/v1:Namespace", "gitops-namespace").inputs["metadata"]
    assert ns["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_read_only_deploy_key_from_pulumi_secret() -> None:
    mocks = _gitops(ssh_private_key=pulumi.Output.secret("-----BEGIN OPENSSH PRIVATE KEY-----"))
    secret = mocks.one("kubernetes:core/v1:Secret", "gitops-repository").inputs
    assert secret["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "repository"}
    data = secret["stringData"]
    assert is_secret(data)
    assert unsecret(data)["url"] == REPO and unsecret(data)["type"] == "git"
    assert "OPENSSH" not in json.dumps(_values(mocks))


def test_pre_created_credentials_create_no_secret() -> None:
    mocks = _gitops(credentials_secret_name="deploy-repo")
    assert [r.name for r in mocks.of_type("kubernetes:core/v1:Secret")] == ["gitops-in-cluster"]


def test_cluster_admin_is_only_a_named_insecure_option() -> None:
    assert _values(_gitops(cluster_admin_insecure=True))["createClusterRoles"] is True


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"app_namespaces": []}, "at least one application namespace"),
        ({"app_namespaces": ["argocd"]}, "must not be an application namespace"),
        ({"app_namespaces": ["kube-system"]}, "system namespaces"),
        ({"repo_url": "ftp://example.com/x"}, "not an https"),
        ({"https_token": "t"}, "https_token needs an https"),
        ({"credentials_secret_name": "a", "ssh_private_key": "k"}, "at most one"),
    ],
)
def test_invalid_args_are_refused(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        _gitops(**kwargs)


def test_only_the_components_that_call_the_api_keep_their_token() -> None:
    values = _values(_gitops())
    for component in ("controller", "server"):
        reason = values[component]["podAnnotations"]["devsecops.io/automount-reason"]
        assert reason.strip(), component
        assert "automountServiceAccountToken" not in values[component]
    assert values["repoServer"]["automountServiceAccountToken"] is False
    assert "podAnnotations" not in values["repoServer"]


NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def test_egress_is_denied_then_opened_to_dns_the_api_and_the_repository() -> None:
    mocks = _gitops()
    deny = mocks.one(NETWORK_POLICY, "gitops-default-deny-egress").inputs
    assert deny["metadata"]["namespace"] == "argocd"
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Egress"]}
    allow = mocks.one(NETWORK_POLICY, "gitops-allow-egress").inputs
    assert allow["metadata"]["namespace"] == "argocd"
    rules = allow["spec"]["egress"]
    assert rules[0] == {"to": [{"podSelector": {}}]}  # Argo CD's own components
    assert rules[1]["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    assert rules[1]["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    # The API server on 443 at private addresses only (no CIDR given: never link-local or public).
    assert rules[2] == {"to": [{"ipBlock": {"cidr": c}} for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                                 "100.64.0.0/10")],
                        "ports": [{"port": 443, "protocol": "TCP"}]}
    assert len(rules) == 3
    # Only the repo server reaches the repository (git@host:path: SSH, 22), at public addresses.
    repo = mocks.one(NETWORK_POLICY, "gitops-allow-repository").inputs["spec"]
    assert repo["podSelector"] == {"matchLabels": {"app.kubernetes.io/component": "repo-server"}}
    assert repo["egress"] == [{
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                            "100.64.0.0/10", "169.254.0.0/16"]}}],
        "ports": [{"port": 22, "protocol": "TCP"}]}]


def test_a_private_git_server_and_the_vpc_replace_the_defaults() -> None:
    mocks, _ = build(lambda: GitOps("gitops", GitOpsArgs(repo_url=REPO, app_namespaces=["shop"],
                                                         repo_cidrs=("10.50.0.0/24",)),
                                    k8s_provider=provider(), api_server_cidrs=["10.20.0.0/16"]))
    api = mocks.one(NETWORK_POLICY, "gitops-allow-egress").inputs["spec"]["egress"][2]
    assert api["to"] == [{"ipBlock": {"cidr": "10.20.0.0/16"}}]
    repo = mocks.one(NETWORK_POLICY, "gitops-allow-repository").inputs["spec"]["egress"]
    assert repo[0]["to"] == [{"ipBlock": {"cidr": "10.50.0.0/24"}}]


@pytest.mark.parametrize(("url", "ports"), [
    ("https://github.com/acme/deploy.git", [443]),
    ("https://git.example.com:8443/acme/deploy.git", [8443]),
    ("ssh://git@git.example.com:2222/acme/deploy.git", [2222]),
    ("ssh://git@git.example.com/acme/deploy.git", [22]),
])
def test_the_repository_port_follows_the_url(url: str, ports: list[int]) -> None:
    repo = _gitops(repo_url=url).one(NETWORK_POLICY, "gitops-allow-repository").inputs
    assert [p["port"] for p in repo["spec"]["egress"][0]["ports"]] == ports
