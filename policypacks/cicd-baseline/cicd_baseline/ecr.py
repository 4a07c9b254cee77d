"""ECR: immutable, scanned repositories whose policies name their principals (C-4.6-3, C-4.8.1-4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from cicd_baseline.docs import as_list, dig, policy_document, statements
from cicd_baseline.meta import compliance

REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"


def _immutable_scanned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != REPOSITORY:
        return
    mutability = args.props.get("imageTagMutability") or "MUTABLE"  # AWS's default
    if mutability != "IMMUTABLE":
        report(f"ECR repository '{args.name}' has imageTagMutability {mutability}: a pushed tag can be "
               "overwritten. Set image_tag_mutability='IMMUTABLE'.")
    if dig(args.props, "imageScanningConfiguration", "scanOnPush") is not True:
        report(f"ECR repository '{args.name}' does not scan on push (imageScanningConfiguration.scanOnPush "
               "is not true). Set image_scanning_configuration={'scan_on_push': True}.")


ecr_immutable_scanned = ResourceValidationPolicy(
    name="cicd-ecr-immutable-and-scanned",
    description="ECR repositories have immutable tags and scan images on push.",
    validate=_immutable_scanned,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Create repositories with image_tag_mutability='IMMUTABLE' and "
    "image_scanning_configuration.scan_on_push=True (components.registry.ArtifactRegistry does both).",
    **compliance("RA-5", "C-4.8.1-4", "ecr", "supply-chain"),
)


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(value == "*" for values in principal.values() for value in as_list(values))
    return False


def _explicit_principals(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != REPOSITORY_POLICY:
        return
    document = policy_document(args.props.get("policy"))
    if document is None:
        return
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") == "Allow" and (_is_everyone(statement.get("Principal"))
                                                   or "NotPrincipal" in statement):
            report(f"ECR repository policy '{args.name}' Statement[{index}] allows every principal ('*' or "
                   "NotPrincipal). Name the CI push role(s) and the node/workload pull role(s) instead.")


ecr_explicit_principals = ResourceValidationPolicy(
    name="cicd-ecr-policy-explicit-principals",
    description="ECR repository policies allow only named principals: no Allow statement for '*'.",
    validate=_explicit_principals,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="List the CI push role ARNs and the node/workload pull role ARNs as principals "
    "(components.registry.ArtifactRegistry does this and denies everyone else in the account).",
    **compliance("AC-3", "C-4.6-3", "ecr", "access-control"),
)


def _has_policy(args: StackValidationArgs, report: ReportViolation) -> None:
    repositories = [r for r in args.resources if r.resource_type == REPOSITORY]
    if not repositories:
        return
    covered_urns: set[str] = set()
    covered_names: set[str] = set()
    for policy in (r for r in args.resources if r.resource_type == REPOSITORY_POLICY):
        linked = policy.property_dependencies.get("repository", [])
        covered_urns.update(dep.urn for dep in linked)
        if not linked:
            try:
                name = policy.props.get("repository")
            except UnknownValueError:
                continue  # unknown and unlinked: it covers nothing we can name
            if isinstance(name, str):
                covered_names.add(name)
    for repo in repositories:
        if repo.urn in covered_urns:
            continue
        name = repo.props.get("name")  # an unknown name raises: reported as "can't run during preview"
        if isinstance(name, str) and name in covered_names:
            continue
        report(f"ECR repository '{repo.name}' has no repository policy: who may push and pull is then decided "
               "by identity policies alone. Add an aws.ecr.RepositoryPolicy naming the push and pull roles.",
               repo.urn)


ecr_has_policy = StackValidationPolicy(
    name="cicd-ecr-repository-has-policy",
    description="Every ECR repository has a repository policy, so push and pull are granted explicitly.",
    validate=_has_policy,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Give each repository an aws.ecr.RepositoryPolicy (components.registry.ArtifactRegistry "
    "creates one per repository).",
    **compliance("AC-3", "C-4.6-3", "ecr", "access-control"),
)
