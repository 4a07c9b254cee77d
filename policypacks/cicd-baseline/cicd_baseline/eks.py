"""EKS access: CI roles get no Kubernetes write access (C-4.7-1: cluster credentials stay in the cluster)."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from cicd_baseline.docs import as_list, policy_document, statements
from cicd_baseline.iam import GITHUB_HOST
from cicd_baseline.meta import compliance

ROLE = "aws:iam/role:Role"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
READ_ONLY_ACCESS_POLICIES = ("AmazonEKSViewPolicy",)


def _trusts_github(role: PolicyResource) -> bool:
    document = policy_document(role.props.get("assumeRolePolicy"))
    if document is None:
        return False
    for statement in statements(document):
        principal = statement.get("Principal")
        federated = as_list(principal.get("Federated")) if hasattr(principal, "get") else []
        if statement.get("Effect") == "Allow" and any(isinstance(f, str) and GITHUB_HOST in f for f in federated):
            return True
    return False


def _ci_roles(args: StackValidationArgs) -> tuple[set[str], set[str]]:
    """URNs of the stack's GitHub-trusted roles, and the ARN suffixes they will have."""
    urns: set[str] = set()
    suffixes: set[str] = set()
    for role in (r for r in args.resources if r.resource_type == ROLE):
        try:
            if not _trusts_github(role):
                continue
        except UnknownValueError:
            continue  # a trust policy unknown at preview names no GitHub principal we could see
        urns.add(role.urn)
        name = role.props.get("name")
        if isinstance(name, str):
            suffixes.add(f":role/{name}")
    return urns, suffixes


def _is_ci_principal(resource: PolicyResource, urns: set[str], suffixes: set[str], arns: set[str]) -> bool:
    if any(dep.urn in urns for dep in resource.property_dependencies.get("principalArn", [])):
        return True
    try:
        principal = resource.props.get("principalArn")
    except UnknownValueError:
        return False  # computed from a resource outside the CI roles
    return isinstance(principal, str) and (principal in arns or any(principal.endswith(s) for s in suffixes))


def _no_cluster_write(args: StackValidationArgs, report: ReportViolation) -> None:
    urns, suffixes = _ci_roles(args)
    arns = set(args.get_config().get("ciRoleArns") or [])
    for resource in args.resources:
        if resource.resource_type == ACCESS_POLICY_ASSOCIATION and _is_ci_principal(resource, urns, suffixes, arns):
            policy_arn = resource.props.get("policyArn")
            if not (isinstance(policy_arn, str) and policy_arn.rsplit("/", 1)[-1] in READ_ONLY_ACCESS_POLICIES):
                report(f"EKS access policy association '{resource.name}' gives a CI role {policy_arn}: CI roles get "
                       "no Kubernetes write access; deployments into the cluster are pulled by GitOps.", resource.urn)
        elif resource.resource_type == ACCESS_ENTRY and _is_ci_principal(resource, urns, suffixes, arns):
            groups = as_list(resource.props.get("kubernetesGroups"))
            if groups:
                report(f"EKS access entry '{resource.name}' puts a CI role in Kubernetes groups {groups}: give CI "
                       "roles no groups (at most the AmazonEKSViewPolicy access policy).", resource.urn)


ci_role_no_cluster_write = StackValidationPolicy(
    name="cicd-ci-role-no-cluster-write",
    description="Roles assumed by GitHub Actions get no Kubernetes write access through EKS access entries: "
    "at most the view-only access policy, and no Kubernetes groups.",
    validate=_no_cluster_write,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "ciRoleArns": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "ARNs of CI roles defined outside this stack.",
            }
        }
    ),
    remediation_steps="Remove the access policy association or Kubernetes groups of the CI role; let the "
    "in-cluster GitOps controller (components.gitops.GitOps) deploy applications.",
    **compliance("AC-6", "C-4.7-1", "eks", "gitops"),
)
