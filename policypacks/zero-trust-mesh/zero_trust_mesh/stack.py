"""Stack policies: the mesh-wide defaults exist, every app namespace is meshed, identities are unique.

The mesh-wide checks apply once the stack contains a mesh (an istiod chart or release, any Istio
resource, or a namespace labelled for injection); a stack without Istio is not their business.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, Severity

from .meta import ROOT_NAMESPACE, SYSTEM_NAMESPACES, Config, stack_policy
from .walk import (
    NAMESPACE_TYPE,
    authz_action,
    get,
    has_workload_selector,
    is_injected_namespace,
    is_istio_kind,
    is_istio_resource,
    is_istiod_chart,
    items,
    mapping,
    name_of,
    namespace_of,
    pod_template,
    service_account_of,
)

Findings = Iterator[tuple[str, str | None]]


def has_mesh(resources: list[PolicyResource]) -> bool:
    return any(
        is_istio_resource(r.resource_type)
        or is_istiod_chart(r.resource_type, r.props)
        or (r.resource_type == NAMESPACE_TYPE and is_injected_namespace(r.props))
        for r in resources
    )


def _mesh_wide(resources: list[PolicyResource], kind: str, root: str) -> list[PolicyResource]:
    return [
        r
        for r in resources
        if is_istio_kind(r.resource_type, kind)
        and namespace_of(r.props) == root
        and not has_workload_selector(get(r.props, "spec", default={}))
    ]


def _strict_mtls(resources: list[PolicyResource], config: Config) -> Findings:
    if not has_mesh(resources):
        return
    root = str(config["rootNamespace"])
    mesh_wide = _mesh_wide(resources, "PeerAuthentication", root)
    modes = [str(get(r.props, "spec", "mtls", "mode", default="UNSET")).upper() for r in mesh_wide]
    if "STRICT" not in modes:
        found = ", ".join(f"{name_of(r.props)}={m}" for r, m in zip(mesh_wide, modes, strict=True)) or "none"
        yield (
            f"no PeerAuthentication without selector in {root!r} sets mtls.mode STRICT (found: {found}). "
            "Add one named `default` with spec.mtls.mode: STRICT.",
            None,
        )
    for r, mode in zip(mesh_wide, modes, strict=True):
        if mode not in ("STRICT", "UNSET"):
            yield f"mesh-wide PeerAuthentication {name_of(r.props)!r} sets mtls.mode {mode}.", r.urn


def _is_allow_nothing(props: Mapping[str, Any]) -> bool:
    return authz_action(props) == "ALLOW" and not items(props, "spec", "rules")


def _default_deny(resources: list[PolicyResource], config: Config) -> Findings:
    if not has_mesh(resources):
        return
    root = str(config["rootNamespace"])
    if not any(_is_allow_nothing(r.props) for r in _mesh_wide(resources, "AuthorizationPolicy", root)):
        yield (
            f"no mesh-wide allow-nothing AuthorizationPolicy in {root!r}: requests without a matching ALLOW "
            "policy are let through. Add one with an empty spec (or only `action: ALLOW`).",
            None,
        )


def _namespaces(resources: list[PolicyResource]) -> Iterator[PolicyResource]:
    return (r for r in resources if r.resource_type == NAMESPACE_TYPE)


def _injection(resources: list[PolicyResource], config: Config) -> Findings:
    if not has_mesh(resources):
        return
    system = set(config["systemNamespaces"] or [])
    for ns in _namespaces(resources):
        name = name_of(ns.props)
        if name in system or is_injected_namespace(ns.props):
            continue
        yield (
            f"namespace {name!r} is not meshed: label it istio.io/rev=<revision> (or "
            "istio-injection=enabled), "
            "or list it in systemNamespaces if it holds no application.",
            ns.urn,
        )


def _workloads(resources: list[PolicyResource]) -> Iterator[tuple[PolicyResource, Mapping[str, Any]]]:
    for r in resources:
        template = pod_template(r.resource_type, r.props)
        if template is not None:
            yield r, template


def _service_accounts(resources: list[PolicyResource], config: Config) -> Findings:
    system = set(config["systemNamespaces"] or [])
    users: dict[tuple[str, str], list[PolicyResource]] = defaultdict(list)
    for r, template in _workloads(resources):
        ns = namespace_of(r.props)
        if ns in system:
            continue
        sa = service_account_of(template)
        kind = r.resource_type.split(":")[-1]
        if sa == "default":
            yield (
                f"{kind} {ns}/{name_of(r.props)} runs as the `default` ServiceAccount: give it its own.",
                r.urn,
            )
        else:
            users[(ns, sa)].append(r)
    for (ns, sa), shared in users.items():
        if len(shared) > 1:
            names = ", ".join(sorted(name_of(r.props) for r in shared))
            for r in shared:
                yield (
                    f"ServiceAccount {ns}/{sa} is shared by {names}: each workload needs its own identity.",
                    r.urn,
                )


def _injection_not_disabled(resources: list[PolicyResource], config: Config) -> Findings:
    meshed = {name_of(ns.props) for ns in _namespaces(resources) if is_injected_namespace(ns.props)}
    for r, template in _workloads(resources):
        ns = namespace_of(r.props)
        if ns not in meshed:
            continue
        kind = r.resource_type.split(":")[-1]
        for field in ("labels", "annotations"):
            value = mapping(template, "metadata", field).get("sidecar.istio.io/inject", "")
            if str(value).lower() == "false":
                yield (
                    f"{kind} {ns}/{name_of(r.props)} sets pod {field[:-1]} sidecar.istio.io/inject=false "
                    "in a meshed namespace: it runs without proxy, mTLS or authorization.",
                    r.urn,
                )


MESH_STRICT_MTLS = stack_policy(
    "mesh-strict-mtls-exists",
    "The mesh has a mesh-wide PeerAuthentication (root namespace, no selector) with mTLS STRICT.",
    _strict_mtls,
    severity=Severity.CRITICAL,
    control="SC-8",
    spec="SM-DR6",
    remediation="Create PeerAuthentication `default` in the root namespace with spec.mtls.mode: STRICT.",
    config=ROOT_NAMESPACE,
)

MESH_DEFAULT_DENY = stack_policy(
    "mesh-default-deny-exists",
    "The mesh has a mesh-wide allow-nothing AuthorizationPolicy, so only explicit ALLOW policies open paths.",
    _default_deny,
    severity=Severity.HIGH,
    control="AC-3",
    spec="SM-DR1",
    remediation="Create AuthorizationPolicy `allow-nothing` in the root namespace with an empty spec.",
    config=ROOT_NAMESPACE,
)

NAMESPACE_INJECTION = stack_policy(
    "namespace-sidecar-injection",
    (
        "Every application namespace is labelled for sidecar injection (istio.io/rev or "
        "istio-injection=enabled)."
    ),
    _injection,
    severity=Severity.HIGH,
    control="AC-3",
    spec="C-2.2-7",
    remediation=(
        "Label the namespace istio.io/rev=<revision>, or add it to systemNamespaces if it is not an app."
    ),
    config=SYSTEM_NAMESPACES,
)

WORKLOAD_SERVICE_ACCOUNT = stack_policy(
    "workload-dedicated-service-account",
    "Every workload runs as its own ServiceAccount: never `default`, never shared with another workload.",
    _service_accounts,
    severity=Severity.MEDIUM,
    control="IA-9",
    spec="SM-DR11",
    remediation="Create one ServiceAccount per workload and set spec.template.spec.serviceAccountName to it.",
    config=SYSTEM_NAMESPACES,
)

POD_INJECTION_NOT_DISABLED = stack_policy(
    "pod-injection-not-disabled",
    "No pod template in a meshed namespace opts out of sidecar injection.",
    _injection_not_disabled,
    severity=Severity.HIGH,
    control="AC-3",
    spec="C-2.2-1",
    remediation='Remove the sidecar.istio.io/inject: "false" label/annotation from the pod template.',
)

POLICIES = [
    MESH_STRICT_MTLS,
    MESH_DEFAULT_DENY,
    NAMESPACE_INJECTION,
    WORKLOAD_SERVICE_ACCOUNT,
    POD_INJECTION_NOT_DISABLED,
]
