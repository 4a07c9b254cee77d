"""The metadata every policy of this pack carries, and the wrappers that turn a check into a policy.

A check is a small function that yields one message per problem; the wrappers add the resource
type filter, the config defaults, the NIST framework and tags, and report the messages. Kept inside
the pack because packs are self-contained (the Pulumi CLI loads the directory as it is).
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
ResourceCheck = Callable[[ResourceValidationArgs, Config], Iterable[str]]
# A stack check yields (urn of the offending resource, message).
StackCheck = Callable[[StackValidationArgs, Config], Iterable[tuple[str, str]]]
ConfigProps = Mapping[str, Mapping[str, Any]]


def framework(nist: str, sp800204: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(
        name=FRAMEWORK_NAME, version=FRAMEWORK_VERSION, reference=nist, specification=sp800204
    )


def tags(nist: str, sp800204: str, topics: Sequence[str]) -> list[str]:
    return [f"nist-800-53:{nist}", f"sp-800-204:{sp800204}", "aws", *topics]


def _settings(policy: str, schema: ConfigProps, given: Config | None) -> dict[str, Any]:
    """The policy's config: schema defaults overlaid with what `--policy-pack-config` gave.

    The Pulumi CLI fills defaults from the schema itself, but other drivers (preflight, tests)
    may not, so the pack never relies on it.
    """
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
    nist: str,
    sp800204: str,
    topics: Sequence[str],
    remediation: str,
) -> dict[str, Any]:
    """The metadata every policy of the pack carries, built in one place for both policy kinds."""
    return {
        "enforcement_level": enforcement,
        "config_schema": _schema(config),
        "severity": severity,
        "framework": framework(nist, sp800204),
        "tags": tags(nist, sp800204, topics),
        "remediation_steps": remediation,
    }


class AwsResourcePolicy(ResourceValidationPolicy):
    """A resource policy over a fixed set of resource types, with the pack's metadata."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Sequence[str],
        check: ResourceCheck,
        severity: Severity,
        nist: str,
        sp800204: str,
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
            try:
                for message in check(args, _settings(name, schema, args.get_config())):
                    report(message, None)
            except PolicyConfigError as error:
                raise PolicyConfigError(f"policy '{name}': {error}") from None

        super().__init__(
            name=name, description=description, validate=validate,
            **_metadata(enforcement, config, severity, nist, sp800204, topics, remediation),
        )


class AwsStackPolicy(StackValidationPolicy):
    """A stack policy (it pairs resources of `resource_types`), with the pack's metadata."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Sequence[str],
        check: StackCheck,
        severity: Severity,
        nist: str,
        sp800204: str,
        remediation: str,
        enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
        config: ConfigProps | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        self.resource_types = tuple(resource_types)
        schema: ConfigProps = config or {}

        def validate(args: StackValidationArgs, report: ReportViolation) -> None:
            try:
                for urn, message in check(args, _settings(name, schema, args.get_config())):
                    report(message, urn)
            except PolicyConfigError as error:
                raise PolicyConfigError(f"policy '{name}': {error}") from None

        super().__init__(
            name=name, description=description, validate=validate,
            **_metadata(enforcement, config, severity, nist, sp800204, topics, remediation),
        )


AwsPolicy = AwsResourcePolicy | AwsStackPolicy
