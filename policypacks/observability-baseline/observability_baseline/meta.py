"""The metadata every policy of this pack carries, and the wrappers that turn a check into a policy.

A check is a small function that yields one message per problem (resource checks) or one
(urn, message) pair (stack checks); the wrappers add the resource-type filter, the config
defaults, the NIST framework and tags, and report. Kept inside the pack: packs are
self-contained (the Pulumi CLI loads the directory as it is).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .util import PolicyConfigError

FRAMEWORK_NAME = "NIST SP 800-53"
FRAMEWORK_VERSION = "Rev. 5"

Config = Mapping[str, Any]
ConfigProps = Mapping[str, Mapping[str, Any]]
ResourceCheck = Callable[[ResourceValidationArgs, Config], Iterable[str]]
StackCheck = Callable[[StackValidationArgs, Config], Iterable[tuple[str, str]]]


def framework(nist: str, sp800204: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(
        name=FRAMEWORK_NAME, version=FRAMEWORK_VERSION, reference=nist, specification=sp800204
    )


def tags(nist: Sequence[str], sp800204: Sequence[str], topics: Sequence[str]) -> list[str]:
    return [
        *(f"nist-800-53:{c}" for c in nist),
        *(f"sp-800-204:{i}" for i in sp800204),
        "observability",
        *topics,
    ]


def settings(policy: str, schema: ConfigProps, given: Config | None) -> dict[str, Any]:
    """Schema defaults overlaid with what `--policy-pack-config` gave (drivers may not fill defaults)."""
    unknown = sorted(set(given or {}) - set(schema))
    if unknown:
        raise PolicyConfigError(
            f"policy '{policy}' has no config key {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(schema) or 'none (only enforcementLevel)'}"
        )
    merged = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
    merged.update(given or {})
    return merged


def _schema(config: ConfigProps | None) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties={k: dict(v) for k, v in config.items()}) if config else None


def _metadata(
    enforcement: EnforcementLevel,
    config: ConfigProps | None,
    severity: Severity,
    nist: Sequence[str],
    sp800204: Sequence[str],
    topics: Sequence[str],
    remediation: str,
) -> dict[str, Any]:
    """The metadata every policy of the pack carries, built in one place for both policy kinds."""
    return {
        "enforcement_level": enforcement,
        "config_schema": _schema(config),
        "severity": severity,
        "framework": framework(nist[0], sp800204[0]),
        "tags": tags(nist, sp800204, topics),
        "remediation_steps": remediation,
    }


class ObsResourcePolicy(ResourceValidationPolicy):
    """A resource policy over a fixed set of resource types, with the pack's metadata."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Sequence[str],
        check: ResourceCheck,
        severity: Severity,
        nist: Sequence[str],
        sp800204: Sequence[str],
        remediation: str,
        enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
        config: ConfigProps | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        self.resource_types = tuple(resource_types)
        schema: ConfigProps = config or {}

        def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if args.resource_type not in self.resource_types:
                return
            for message in check(args, settings(name, schema, args.get_config())):
                report(message, None)

        super().__init__(
            name=name, description=description, validate=validate,
            **_metadata(enforcement, config, severity, nist, sp800204, topics, remediation),
        )


class ObsStackPolicy(StackValidationPolicy):
    """A stack policy, with the pack's metadata."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        check: StackCheck,
        severity: Severity,
        nist: Sequence[str],
        sp800204: Sequence[str],
        remediation: str,
        enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
        config: ConfigProps | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        schema: ConfigProps = config or {}

        def validate(args: StackValidationArgs, report: ReportViolation) -> None:
            for urn, message in check(args, settings(name, schema, args.get_config())):
                report(message, urn)

        super().__init__(
            name=name, description=description, validate=validate,
            **_metadata(enforcement, config, severity, nist, sp800204, topics, remediation),
        )


ObsPolicy = ObsResourcePolicy | ObsStackPolicy
