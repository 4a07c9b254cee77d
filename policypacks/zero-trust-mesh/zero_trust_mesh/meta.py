"""Policy metadata and the two small wrappers every policy of this pack is built with.

A check is a plain function that yields violation messages (resource checks) or
`(message, urn)` pairs (stack checks); the wrappers add metadata, merge the policy config over
its defaults and report. Checks never catch the SDK's UnknownValueError: an unknown value
becomes the SDK's advisory "can't run policy during preview" diagnostic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

Config = Mapping[str, Any]
ResourceCheck = Callable[[str, Mapping[str, Any], Config], Iterable[str]]
StackCheck = Callable[[list[PolicyResource], Config], Iterable[tuple[str, str | None]]]

FRAMEWORK = "NIST SP 800-53"
FRAMEWORK_VERSION = "Rev. 5"
PACK_TAGS = ["istio", "zero-trust"]

# Config keys shared by several policies (same name, same meaning, same default).
ROOT_NAMESPACE = {
    "rootNamespace": {
        "type": "string",
        "default": "istio-system",
        "description": "Istio root namespace (meshConfig.rootNamespace), where mesh-wide policies live.",
    }
}
SYSTEM_NAMESPACES = {
    "systemNamespaces": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["kube-system", "kube-public", "kube-node-lease", "istio-system", "istio-cni"],
        "description": "Namespaces that carry no application workloads and are not meshed.",
    }
}


def _metadata(
    severity: Severity,
    control: str,
    spec: str,
    remediation: str,
    config: Mapping[str, Mapping[str, Any]] | None,
    enforcement: EnforcementLevel,
) -> dict[str, Any]:
    """The metadata every policy of the pack carries, as Policy constructor arguments."""
    return {
        "enforcement_level": enforcement,
        "config_schema": _schema(config),
        "severity": severity,
        "framework": PolicyComplianceFramework(
            name=FRAMEWORK, version=FRAMEWORK_VERSION, reference=control, specification=spec
        ),
        "tags": [f"nist-800-53:{control}", f"sp-800-204:{spec}", *PACK_TAGS],
        "remediation_steps": remediation,
    }


def _schema(config: Mapping[str, Mapping[str, Any]] | None) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties={k: dict(v) for k, v in config.items()}) if config else None


def _merged(
    config: Mapping[str, Mapping[str, Any]] | None, given: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Schema defaults overlaid with the user's policy config (the CLI may or may not fill them)."""
    merged = {k: v.get("default") for k, v in (config or {}).items()}
    merged.update(dict(given or {}))
    return merged


def resource_policy(
    name: str,
    description: str,
    check: ResourceCheck,
    *,
    severity: Severity,
    control: str,
    spec: str,
    remediation: str,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """A policy over one resource at a time; `check(type, props, config)` yields messages."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for message in check(args.resource_type, args.props, _merged(config, args.get_config())):
            report(message, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        **_metadata(severity, control, spec, remediation, config, enforcement),
    )


def stack_policy(
    name: str,
    description: str,
    check: StackCheck,
    *,
    severity: Severity,
    control: str,
    spec: str,
    remediation: str,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    """A policy over the whole stack; `check(resources, config)` yields (message, urn or None)."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for message, urn in check(list(args.resources), _merged(config, args.get_config())):
            report(message, urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        **_metadata(severity, control, spec, remediation, config, enforcement),
    )
