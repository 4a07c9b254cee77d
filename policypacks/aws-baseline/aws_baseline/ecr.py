"""ECR repositories (`aws:ecr/repository:Repository`): immutable tags, scan on push, KMS."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from .meta import AwsResourcePolicy, Config
from .util import as_list, config_bool, get, is_true

REPOSITORY = "aws:ecr/repository:Repository"
_KMS_TYPES = ("KMS", "KMS_DSSE")


def check_immutable_tags(args: ResourceValidationArgs, cfg: Config) -> Iterator[str]:
    exclusions_ok = config_bool(cfg, "allowExclusions")
    mutability = get(args.props, "imageTagMutability") or "MUTABLE"
    if mutability == "IMMUTABLE":
        return
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        if exclusions_ok:
            return
        filters = [get(f, "filter") for f in as_list(get(args.props, "imageTagMutabilityExclusionFilters"))]
        yield (
            f"imageTagMutability is IMMUTABLE_WITH_EXCLUSION: tags matching {filters} can be "
            'overwritten. Set it to "IMMUTABLE", or allow exclusions in this policy\'s config '
            "(allowExclusions: true) if deployments pin images by digest."
        )
        return
    shown = "unset (AWS default: MUTABLE)" if not get(args.props, "imageTagMutability") else mutability
    yield (
        f"imageTagMutability is {shown}: a pushed tag can be replaced by a different image. Set it "
        'to "IMMUTABLE".'
    )


def check_scan_on_push(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    if not is_true(get(args.props, "imageScanningConfiguration.scanOnPush")):
        yield (
            "imageScanningConfiguration.scanOnPush is not true, so pushed images are not scanned for "
            "vulnerabilities; set it to true (or use registry-level enhanced scanning and disable "
            "this policy for the stack)."
        )


def check_kms(args: ResourceValidationArgs, _cfg: Config) -> Iterator[str]:
    configs = as_list(get(args.props, "encryptionConfigurations"))
    types = [get(c, "encryptionType") or "AES256" for c in configs] or ["AES256"]
    if not any(t in _KMS_TYPES for t in types):
        field = "encryptionConfigurations[0].encryptionType" if configs else "encryptionConfigurations"
        shown = types[0] if configs else "missing (AWS default: AES256)"
        yield (
            f'{field} is {shown}; set encryptionType to "KMS" with kmsKey a customer-managed key '
            "ARN. It can only be set when the repository is created."
        )


POLICIES: list[Policy] = [
    AwsResourcePolicy(
        name="ecr-immutable-tags",
        description="ECR repositories have immutable image tags.",
        resource_types=[REPOSITORY],
        check=check_immutable_tags,
        severity=Severity.MEDIUM,
        nist="SI-7",
        sp800204="C-4.6-8",
        remediation=(
            "Set image_tag_mutability='IMMUTABLE' and publish a new tag (or deploy by digest) for "
            "every build."
        ),
        config={
            "allowExclusions": {
                "type": "boolean",
                "default": False,
                "description": "Whether IMMUTABLE_WITH_EXCLUSION (some tags mutable) passes.",
            }
        },
        topics=["ecr", "supply-chain"],
    ),
    AwsResourcePolicy(
        name="ecr-scan-on-push",
        description="ECR repositories scan images for vulnerabilities on push.",
        resource_types=[REPOSITORY],
        check=check_scan_on_push,
        severity=Severity.MEDIUM,
        nist="RA-5",
        sp800204="C-4.8.1-2",
        remediation="Set image_scanning_configuration={'scan_on_push': True}.",
        topics=["ecr", "vulnerability-scanning"],
    ),
    AwsResourcePolicy(
        name="ecr-kms-encryption",
        description="ECR repositories are encrypted with KMS.",
        resource_types=[REPOSITORY],
        check=check_kms,
        severity=Severity.LOW,
        nist="SC-28",
        sp800204="C-4.4-3",
        remediation=(
            "Set encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': key.arn}] when "
            "creating the repository (changing it replaces the repository)."
        ),
        topics=["ecr", "encryption"],
    ),
]
