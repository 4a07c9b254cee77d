"""Stack policies over the namespaces that hold workloads: Pod Security label, default deny.

A namespace "holds workloads" when a pod-bearing resource of the stack lands in it. Only
namespaces the stack itself creates (a kubernetes:core/v1:Namespace with metadata.name) can be
checked; any other is reported by namespace-visible, as advisory, rather than passed or failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import settings as pack_settings
from .config import boolean, read_config, schema
from .meta import ControlMap
from .walker import POD_TEMPLATE_PATHS, as_list, as_mapping, display_name, get, kind_of, namespace_of

NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"

POD_SECURITY_LABEL = "namespace-pod-security-label"
DEFAULT_DENY = "namespace-default-deny"
VISIBLE = "namespace-visible"


def _namespace(resource: PolicyResource) -> str:
    return namespace_of(resource.props, resource.provider.props if resource.provider is not None else None)


@dataclass
class StackNamespaces:
    """The stack's namespaces, the workloads in each, and the NetworkPolicies in each."""

    created: dict[str, PolicyResource] = field(default_factory=dict)
    unnamed: list[PolicyResource] = field(default_factory=list)
    workloads: dict[str, list[PolicyResource]] = field(default_factory=dict)
    network_policies: dict[str, list[PolicyResource]] = field(default_factory=dict)

    @classmethod
    def of(cls, resources: Iterable[PolicyResource]) -> StackNamespaces:
        view = cls()
        for r in resources:
            if r.resource_type == NAMESPACE_TYPE:
                name = get(r.props, "metadata", "name")
                if isinstance(name, str) and name:
                    view.created[name] = r
                else:
                    view.unnamed.append(r)
            elif r.resource_type in POD_TEMPLATE_PATHS:
                view.workloads.setdefault(_namespace(r), []).append(r)
            elif r.resource_type == NETWORK_POLICY_TYPE:
                view.network_policies.setdefault(_namespace(r), []).append(r)
        return view

    def checkable(
        self, policy: str, settings: pack_settings.PackSettings, pod_security: bool
    ) -> Iterable[str]:
        """Namespaces holding workloads, created by the stack, and not exempt from `policy`."""
        for namespace in sorted(self.workloads):
            if (
                namespace in self.created
                and settings.exemption_source(policy, namespace, pod_security) is None
            ):
                yield namespace


def _workload_names(resources: list[PolicyResource], limit: int = 5) -> str:
    names = [f"{kind_of(r.resource_type)} '{display_name(r.props, r.name)}'" for r in resources[:limit]]
    more = len(resources) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


# --- Pod Security enforce label --------------------------------------------------------------


def _pod_security_label(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    read_config(POD_SECURITY_LABEL, None, args.get_config())
    settings = pack_settings.current()
    view = StackNamespaces.of(args.resources)
    wanted = settings.level
    for namespace in view.checkable(POD_SECURITY_LABEL, settings, pod_security=True):
        resource = view.created[namespace]
        value = as_mapping(get(resource.props, "metadata", "labels")).get(ENFORCE_LABEL)
        rank = pack_settings.LEVEL_RANK.get(value) if isinstance(value, str) else None
        if rank is not None and rank >= pack_settings.LEVEL_RANK[wanted]:
            continue
        found = "is missing" if value is None else f"is {value!r}"
        report_violation(
            f"Namespace '{namespace}' holds {_workload_names(view.workloads[namespace])} but its label "
            f"{ENFORCE_LABEL} {found}; set it to '{wanted}' (or stricter) so the API server enforces the "
            "same Pod Security level this pack checks at preview",
            resource.urn,
        )


# --- default-deny NetworkPolicy --------------------------------------------------------------


def _selects_all_pods(props: Mapping[str, Any]) -> bool:
    # podSelector is required by the API; its zero value (missing or {}) selects every pod.
    selector = as_mapping(get(props, "spec", "podSelector"))
    return not as_mapping(selector.get("matchLabels")) and not as_list(selector.get("matchExpressions"))


def _policy_types(props: Mapping[str, Any]) -> set[str]:
    """spec.policyTypes as the API server defaults it when unset."""
    spec = as_mapping(get(props, "spec"))
    given = as_list(spec.get("policyTypes"))
    if given:
        return {t for t in given if isinstance(t, str)}
    return {"Ingress", "Egress"} if as_list(spec.get("egress")) else {"Ingress"}


def _denies(props: Mapping[str, Any], direction: str) -> bool:
    """Whether this NetworkPolicy denies all `direction` traffic for every pod of its namespace."""
    rules = as_list(get(props, "spec", direction.lower()))
    return _selects_all_pods(props) and direction in _policy_types(props) and not rules


def _default_deny(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = read_config(DEFAULT_DENY, _DEFAULT_DENY_SCHEMA, args.get_config())
    directions = ["Ingress", "Egress"] if config["requireEgress"] else ["Ingress"]
    settings = pack_settings.current()
    view = StackNamespaces.of(args.resources)
    for namespace in view.checkable(DEFAULT_DENY, settings, pod_security=False):
        policies = view.network_policies.get(namespace, [])
        missing = [d for d in directions if not any(_denies(p.props, d) for p in policies)]
        if missing:
            report_violation(
                f"Namespace '{namespace}' holds {_workload_names(view.workloads[namespace])} but has no "
                f"default-deny NetworkPolicy for {' and '.join(missing)}; add one with podSelector: {{}}, "
                f"policyTypes {missing} and no {'/'.join(d.lower() for d in missing)} rules, then allow "
                "each flow explicitly",
                view.created[namespace].urn,
            )


_DEFAULT_DENY_SCHEMA = schema(
    requireEgress=boolean(
        "Require a default-deny for Egress as well as Ingress (default true). false weakens the check "
        "to ingress only.",
        True,
    )
)


# --- namespaces the stack does not create -----------------------------------------------------


def _visible(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    read_config(VISIBLE, None, args.get_config())
    view = StackNamespaces.of(args.resources)
    unnamed = (
        f" The stack has {len(view.unnamed)} auto-named Namespace(s) ("
        + ", ".join(r.name for r in view.unnamed)
        + "); give them metadata.name so workloads can be matched to them."
        if view.unnamed
        else ""
    )
    for namespace in sorted(set(view.workloads) - set(view.created)):
        workloads = view.workloads[namespace]
        report_violation(
            f"Namespace '{namespace}' holds {_workload_names(workloads)} but is not created in this stack, "
            "so "
            f"its Pod Security label and default-deny NetworkPolicy cannot be checked here.{unnamed}",
            workloads[0].urn,
        )


_NAMESPACE_CONTROLS = ControlMap("CM-7", "C-4.9-3", more_controls=("AC-6",), more_items=("C-4.4-3",))

NAMESPACE_POLICIES = [
    StackValidationPolicy(
        name=POD_SECURITY_LABEL,
        description=(
            "Every namespace holding workloads carries the Pod Security enforce label at the pack level "
            "or stricter (pod-security.kubernetes.io/enforce)."
        ),
        validate=_pod_security_label,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps=(
            "Label the Namespace resource pod-security.kubernetes.io/enforce: restricted (or the level set "
            "in pod-security-exemption.level). Namespaces in pod-security-exemption.exemptNamespaces are "
            "skipped."
        ),
        **_NAMESPACE_CONTROLS.metadata("pod-security", "namespace"),
    ),
    StackValidationPolicy(
        name=DEFAULT_DENY,
        description=(
            "Every namespace holding workloads has a default-deny NetworkPolicy (all pods, Ingress and "
            "Egress, no rules)."
        ),
        validate=_default_deny,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=_DEFAULT_DENY_SCHEMA,
        severity=Severity.HIGH,
        remediation_steps=(
            "Add a NetworkPolicy to the namespace with spec.podSelector: {}, spec.policyTypes: [Ingress, "
            "Egress] and no ingress or egress rules; then allow each required flow (DNS included) with its "
            "own NetworkPolicy."
        ),
        **ControlMap("SC-7", "SM-DR1", more_controls=("AC-4",), more_items=("C-4.4-3", "APE-SR-3")).metadata(
            "network", "namespace"
        ),
    ),
    StackValidationPolicy(
        name=VISIBLE,
        description=(
            "Namespaces holding workloads but not created in the stack are reported: their label and "
            "NetworkPolicy cannot be checked."
        ),
        validate=_visible,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
        remediation_steps=(
            "Create the namespace in the stack (a kubernetes:core/v1:Namespace with metadata.name), or check "
            "its Pod Security label and default-deny NetworkPolicy where it is managed."
        ),
        **ControlMap("CM-8", "C-4.10-2", more_controls=("CA-7",)).metadata("namespace"),
    ),
]
