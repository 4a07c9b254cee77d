"""cicd-gitops-not-cluster-admin: bindings of GitOps service accounts and argo-cd chart values."""

from __future__ import annotations

from typing import Any

from components.gitops import GitOpsArgs, argocd_values
from tests.packharness import Res, analyze_stack, violations
from tests.policies.cicd_pack import POLICIES  # noqa: F401 - puts the pack on sys.path

from cicd_baseline.gitops import gitops_not_cluster_admin  # isort: skip

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
CHART = "kubernetes:helm.sh/v4:Chart"
NAME = "cicd-gitops-not-cluster-admin"


def _binding(kind: str, role: str, subject_ns: str, name: str = "b") -> Res:
    return Res(f"{RBAC}:{kind}", {
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": "argocd-application-controller", "namespace": subject_ns}],
    }, name=name)


def _argocd(values: dict[str, Any]) -> Res:
    return Res(CHART, {"chart": "argo-cd", "version": "10.10.0", "values": values}, name="argocd")


def _messages(resources: list[Res], config: dict[str, Any] | None = None) -> list[str]:
    return [f.message for f in violations(analyze_stack(gitops_not_cluster_admin, resources, config), NAME)]


def test_the_gitops_components_chart_values_pass() -> None:
    values = argocd_values(GitOpsArgs(repo_url="https://github.com/acme/deploy.git", app_namespaces=["shop"]))
    assert _messages([_argocd(values)]) == []


def test_argo_cd_chart_with_cluster_roles_is_a_violation() -> None:
    values = argocd_values(GitOpsArgs(repo_url="https://github.com/acme/deploy.git", app_namespaces=["shop"],
                                      cluster_admin_insecure=True))
    (message,) = _messages([_argocd(values)])
    assert "createClusterRoles" in message


def test_argo_cd_chart_defaults_are_cluster_admin() -> None:
    assert _messages([_argocd({})])
    local = Res(CHART, {"chart": "./charts/argo-cd-10.10.0.tgz", "values": {}}, name="argocd")
    assert _messages([local])


def test_cluster_admin_binding_of_the_gitops_namespace_is_a_violation() -> None:
    (message,) = _messages([_binding("ClusterRoleBinding", "cluster-admin", "argocd", "argocd-admin")])
    assert "argocd/argocd-application-controller" in message and "cluster-admin" in message
    assert _messages([_binding("RoleBinding", "cluster-admin", "flux-system")])


def test_wildcard_cluster_role_counts_as_cluster_admin() -> None:
    role = Res(f"{RBAC}:ClusterRole", {"metadata": {"name": "argocd-application-controller"},
                                       "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
               name="role")
    binding = _binding("ClusterRoleBinding", "argocd-application-controller", "argocd")
    assert _messages([role, binding])


def test_bindings_outside_gitops_namespaces_or_to_narrow_roles_pass() -> None:
    narrow = Res(f"{RBAC}:ClusterRole", {"metadata": {"name": "reader"},
                                         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
                 name="reader")
    assert _messages([narrow, _binding("ClusterRoleBinding", "reader", "argocd")]) == []
    assert _messages([_binding("ClusterRoleBinding", "cluster-admin", "kube-system")]) == []


def test_gitops_namespaces_come_from_config() -> None:
    binding = _binding("ClusterRoleBinding", "cluster-admin", "gitops")
    assert _messages([binding]) == []
    assert _messages([binding], {NAME: {"gitopsNamespaces": ["gitops"]}})
