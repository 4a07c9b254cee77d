"""GitOps: the in-cluster controller is not cluster-admin (C-4.7-2: it runs only what RBAC allows)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from cicd_baseline.docs import HELM_TYPES, as_list, chart_name, chart_values
from cicd_baseline.meta import compliance

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
BINDINGS = (f"{RBAC}:ClusterRoleBinding", f"{RBAC}:RoleBinding")
CLUSTER_ROLE = f"{RBAC}:ClusterRole"
DEFAULT_GITOPS_NAMESPACES = ["argocd", "flux-system"]


def _is_wildcard_rule(rule: Any) -> bool:
    if not isinstance(rule, Mapping):
        return False
    return "*" in as_list(rule.get("verbs")) and "*" in as_list(rule.get("resources")) and "*" in as_list(
        rule.get("apiGroups")
    )


def _admin_cluster_roles(args: StackValidationArgs) -> set[str]:
    """cluster-admin, plus every ClusterRole in the stack that grants every verb on every resource."""
    names = {"cluster-admin"}
    for role in (r for r in args.resources if r.resource_type == CLUSTER_ROLE):
        name = (role.props.get("metadata") or {}).get("name")
        if isinstance(name, str) and any(_is_wildcard_rule(rule) for rule in as_list(role.props.get("rules"))):
            names.add(name)
    return names


def _not_cluster_admin(args: StackValidationArgs, report: ReportViolation) -> None:
    namespaces = set(args.get_config().get("gitopsNamespaces") or DEFAULT_GITOPS_NAMESPACES)
    admin_roles = _admin_cluster_roles(args)
    for binding in (r for r in args.resources if r.resource_type in BINDINGS):
        role_ref = binding.props.get("roleRef") or {}
        if role_ref.get("kind") != "ClusterRole" or role_ref.get("name") not in admin_roles:
            continue
        for subject in as_list(binding.props.get("subjects")):
            subject_ns = subject.get("namespace") if isinstance(subject, Mapping) else None
            if subject_ns in namespaces:
                report(f"{binding.resource_type.rsplit(':', 1)[-1]} '{binding.name}' binds "
                       f"{subject.get('kind')} {subject_ns}/{subject.get('name')} to ClusterRole "
                       f"'{role_ref.get('name')}' (cluster-admin or equivalent). Bind namespaced Roles in the "
                       "application namespaces instead.", binding.urn)
    for chart in (r for r in args.resources if r.resource_type in HELM_TYPES):
        if chart_name(chart.props) != "argo-cd":
            continue
        values = chart_values(chart.props)
        if values.get("createClusterRoles", True) is not False:
            report(f"Helm chart '{chart.name}' (argo-cd) does not set createClusterRoles: false: the application "
                   "controller gets a ClusterRole with every verb on every resource (cluster-admin equivalent). "
                   "Set createClusterRoles: false and bind Roles in the application namespaces.", chart.urn)


gitops_not_cluster_admin = StackValidationPolicy(
    name="cicd-gitops-not-cluster-admin",
    description="The GitOps controller is not bound to cluster-admin (or an equivalent wildcard ClusterRole), "
    "and the argo-cd chart does not create its cluster-wide roles.",
    validate=_not_cluster_admin,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=PolicyConfigSchema(
        properties={
            "gitopsNamespaces": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_GITOPS_NAMESPACES,
                "description": "Namespaces whose service accounts belong to the GitOps controller.",
            }
        }
    ),
    remediation_steps="Install Argo CD with createClusterRoles: false and namespaced Roles per application "
    "namespace (components.gitops.GitOps), or Flux with its reconcilers bound to namespaced roles; remove "
    "bindings of GitOps service accounts to cluster-admin.",
    **compliance("AC-6", "C-4.7-2", "gitops", "rbac"),
)
