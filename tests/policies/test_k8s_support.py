"""Shared helpers for the kubernetes-baseline tests (no tests of its own).

Every helper starts from the pack's strict default settings, then runs the pack the way the
engine does: pod-security-exemption first (it publishes the pack settings), Analyze per resource,
AnalyzeStack last.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Policy

from tests import packharness
from tests.packharness import Finding, Res

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline import EXEMPTION_POLICY, POLICIES  # noqa: E402
from k8s_baseline import settings as pack_settings  # noqa: E402

POD = "kubernetes:core/v1:Pod"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRONJOB = "kubernetes:batch/v1:CronJob"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

GOOD_IMAGE = "registry.example.com/team/app:1.4.2@sha256:" + "ab" * 32
APPROVED = {"allowed-image-registries": {"allowedRegistries": ["registry.example.com"]}}


def good_container(name: str = "app", **overrides: Any) -> dict[str, Any]:
    """A container that passes every workload policy of the pack."""
    container: dict[str, Any] = {
        "name": name,
        "image": GOOD_IMAGE,
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    container.update(overrides)
    return container


def good_pod_spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "serviceAccountName": "app",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [good_container()],
    }
    spec.update(overrides)
    return spec


def deployment(
    spec: Mapping[str, Any] | None = None,
    *,
    namespace: str | None = "apps",
    name: str = "web",
    template_metadata: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Res:
    meta: dict[str, Any] = {"name": name, **(metadata or {})}
    if namespace is not None:
        meta["namespace"] = namespace
    return Res(
        DEPLOYMENT,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}, **(template_metadata or {})},
                    "spec": copy.deepcopy(dict(spec if spec is not None else good_pod_spec())),
                },
            },
        },
        name=name,
    )


def pod_as(kind: str, pod: Mapping[str, Any]) -> Res:
    """A corpus Pod as itself, or wrapped as a Deployment or a CronJob (template keeps its metadata)."""
    name = pod.get("metadata", {}).get("name", "pod")
    template_meta = {k: v for k, v in pod.get("metadata", {}).items() if k != "name"}
    spec = pod.get("spec", {})
    if kind == POD:
        return Res(POD, pod, name=name)
    template = {"metadata": template_meta, "spec": spec}
    if kind == DEPLOYMENT:
        return Res(
            DEPLOYMENT,
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name},
                "spec": {"selector": {"matchLabels": {"app": name}}, "template": template},
            },
            name=name,
        )
    if kind == CRONJOB:
        return Res(
            CRONJOB,
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": name},
                "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}},
            },
            name=name,
        )
    raise ValueError(kind)


_DEFAULT_LEVEL = {p.name: p.enforcement_level.value for p in POLICIES if p.enforcement_level is not None}


def as_cli_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The config as the Pulumi CLI sends it: a policy configured without enforcementLevel keeps
    its own default level (packharness alone would make it mandatory)."""
    out: dict[str, Any] = {}
    for name, value in (config or {}).items():
        if isinstance(value, Mapping) and "enforcementLevel" not in value:
            value = {"enforcementLevel": _DEFAULT_LEVEL.get(name, "mandatory"), **value}
        out[name] = value
    return out


def analyze(
    policies: Policy | list[Policy], resource: Res, config: Mapping[str, Any] | None = None
) -> list[Finding]:
    """One resource through the given policies, from the strict default settings."""
    pack_settings.reset()
    return packharness.analyze(policies, resource, as_cli_config(config))


def analyze_pack(resource: Res, config: Mapping[str, Any] | None = None) -> list[Finding]:
    """One resource through the whole pack (so pod-security-exemption publishes `config`)."""
    return analyze(POLICIES, resource, config)


def analyze_stack(
    policies: Policy | list[Policy], resources: Iterable[Res], config: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Analyze (for the pack settings) then AnalyzeStack, as the engine orders them."""
    resources = list(resources)
    pack_settings.reset()
    packharness.analyze(EXEMPTION_POLICY, resources[0], as_cli_config(config))
    return packharness.analyze_stack(policies, resources, as_cli_config(config))


def mandatory(findings: list[Finding], policy: str) -> list[Finding]:
    return [f for f in packharness.violations(findings, policy) if f.level == "mandatory"]


def namespace(name: str, enforce: str | None = "restricted", resource_name: str | None = None) -> Res:
    labels = {"pod-security.kubernetes.io/enforce": enforce} if enforce is not None else {}
    return Res(NAMESPACE, {"metadata": {"name": name, "labels": labels}}, name=resource_name or f"ns-{name}")


def default_deny(namespace_name: str, policy_types: list[str] | None = None, name: str = "deny") -> Res:
    spec: dict[str, Any] = {"podSelector": {}}
    spec["policyTypes"] = policy_types if policy_types is not None else ["Ingress", "Egress"]
    return Res(
        NETWORK_POLICY,
        {"metadata": {"name": name, "namespace": namespace_name}, "spec": spec},
        name=f"{namespace_name}-{name}",
    )
