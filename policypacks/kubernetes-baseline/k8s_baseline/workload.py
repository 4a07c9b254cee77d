"""The one wrapper every workload policy goes through.

It reads and validates the policy's config, finds the pod of any pod-bearing kind, applies the
pack settings (Pod Security level, namespace exemptions) and reports each finding prefixed with
the workload it belongs to. A policy itself is a short check over a `Workload`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from . import settings as pack_settings
from .config import read_config
from .meta import ControlMap
from .walker import Pod, display_name, namespace_of, pod_of


@dataclass(frozen=True)
class Workload:
    """What a workload check sees: the pod, the resource's own properties and the policy config."""

    pod: Pod
    props: Mapping[str, Any]
    config: Mapping[str, Any]


WorkloadCheck = Callable[[Workload], list[str]]


def provider_props(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    return args.provider.props if args.provider is not None else None


class WorkloadPolicy(ResourceValidationPolicy):
    """A policy over every pod-bearing resource (Pod, Deployment, ..., CronJob)."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        check: WorkloadCheck,
        severity: Severity,
        controls: ControlMap,
        remediation_steps: str,
        enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
        config_schema: PolicyConfigSchema | None = None,
        runs_at_level: Callable[[str], bool] | None = None,
        extra_tags: tuple[str, ...] = (),
    ) -> None:
        self.check = check
        # Pod Security policies are gated by the pack level and honour pack-wide exemptions.
        self.pod_security = runs_at_level is not None
        self.runs_at_level = runs_at_level or (lambda _level: True)
        super().__init__(
            name=name,
            description=description,
            validate=self._validate,
            enforcement_level=enforcement_level,
            config_schema=config_schema,
            severity=severity,
            remediation_steps=remediation_steps,
            **controls.metadata(*extra_tags),
        )

    def _validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        config = read_config(self.name, self.config_schema, args.get_config())
        pod = pod_of(args.resource_type, args.props)
        if pod is None:
            return
        settings = pack_settings.current()
        if not self.runs_at_level(settings.level):
            return
        if settings.has_exemptions:
            namespace = namespace_of(args.props, provider_props(args))
            # Exempt workloads are reported by pod-security-exemption, which sees the same settings.
            if settings.exemption_source(self.name, namespace, self.pod_security) is not None:
                return
        label = f"{pod.kind} '{display_name(args.props, args.name)}'"
        for message in self.check(Workload(pod=pod, props=args.props, config=config)):
            report_violation(f"{label}: {message}", None)
