"""CI runners: no privileged pods, no Docker-in-Docker (C-4.6-1: harden the build servers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from cicd_baseline.docs import HELM_TYPES, chart_name, chart_values, dig, pod_containers
from cicd_baseline.meta import compliance

AUTOSCALING_RUNNER_SET = "kubernetes:actions.github.com/v1alpha1:AutoscalingRunnerSet"
# The legacy (summerwind) controller: a Docker sidecar, privileged, unless dockerEnabled is false.
LEGACY_RUNNERS = (
    "kubernetes:actions.summerwind.dev/v1alpha1:RunnerDeployment",
    "kubernetes:actions.summerwind.dev/v1alpha1:RunnerSet",
)


def _privileged(pod_spec: Any, where: str) -> list[str]:
    return [
        f"{where}.{path}.securityContext.privileged is true"
        for path, container in pod_containers(pod_spec)
        if isinstance(container.get("securityContext"), Mapping) and container["securityContext"].get("privileged")
        is True
    ]


def _runner_pods(args: ResourceValidationArgs, report: ReportViolation) -> None:
    problems: list[str] = []
    if args.resource_type in HELM_TYPES and chart_name(args.props) == "gha-runner-scale-set":
        values = chart_values(args.props)
        if dig(values, "containerMode", "type") == "dind":
            problems.append("values.containerMode.type is 'dind' (a privileged Docker daemon in every runner pod)")
        problems += _privileged(dig(values, "template", "spec"), "values.template.spec")
    elif args.resource_type == AUTOSCALING_RUNNER_SET:
        problems += _privileged(dig(args.props, "spec", "template", "spec"), "spec.template.spec")
    elif args.resource_type in LEGACY_RUNNERS:
        spec = dig(args.props, "spec", "template", "spec")
        if not isinstance(spec, Mapping) or spec.get("dockerEnabled", True) is not False:
            problems.append("spec.template.spec.dockerEnabled is not false (a privileged Docker sidecar)")
        problems += _privileged(spec, "spec.template.spec")
    for problem in problems:
        report(f"Runner '{args.name}': {problem}. Use containerMode kubernetes-novolume with restricted pods and "
               "build images rootless (BuildKit rootless or kaniko) instead.")


runner_pods_not_privileged = ResourceValidationPolicy(
    name="cicd-runner-pods-not-privileged",
    description="CI runner pods are not privileged: no Docker-in-Docker container mode and no container with "
    "securityContext.privileged true in runner scale sets.",
    validate=_runner_pods,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Use ARC containerMode 'kubernetes-novolume' (components.runners.CiRunners default) and "
    "drop docker_in_docker_insecure; build images with rootless BuildKit or kaniko in a separate namespace.",
    **compliance("CM-7", "C-4.6-1", "runners", "pod-security"),
)
