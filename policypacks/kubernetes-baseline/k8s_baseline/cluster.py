"""Cluster-facing objects: RBAC bindings to cluster-admin, and Services exposed outside the cluster."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .config import read_config, schema, string_list
from .meta import ControlMap
from .walker import display_name, get, kind_of, namespace_of
from .workload import provider_props

BINDING_TYPES = frozenset(
    {
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        # A RoleBinding to the cluster-admin ClusterRole makes its subjects owners of the whole
        # namespace, secrets included: the same risk at namespace scope.
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    }
)
SERVICE_TYPE = "kubernetes:core/v1:Service"
EXPOSED_SERVICE_TYPES = ("LoadBalancer", "NodePort")

NO_CLUSTER_ADMIN = "no-cluster-admin-binding"
SERVICE_EXPOSURE = "service-exposure-namespaces"


def _cluster_admin(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = read_config(NO_CLUSTER_ADMIN, _CLUSTER_ADMIN_SCHEMA, args.get_config())
    if args.resource_type not in BINDING_TYPES:
        return
    role_ref = get(args.props, "roleRef")
    if get(role_ref, "kind") != "ClusterRole" or get(role_ref, "name") != "cluster-admin":
        return
    metadata_name = get(args.props, "metadata", "name")
    # Allow-list entries match metadata.name, or the Pulumi resource name of an auto-named binding.
    key = metadata_name if isinstance(metadata_name, str) and metadata_name else args.name
    if key in config["allowedBindings"]:
        return
    report_violation(
        f"{kind_of(args.resource_type)} '{display_name(args.props, args.name)}' binds roleRef "
        "ClusterRole 'cluster-admin'; bind a narrower (Cluster)Role, or add this binding to allowedBindings "
        "as a reviewed break-glass exception",
        None,
    )


_CLUSTER_ADMIN_SCHEMA = schema(
    allowedBindings=string_list(
        "Names (metadata.name, or the Pulumi resource name of an auto-named binding) of the "
        "ClusterRoleBindings / RoleBindings allowed to grant cluster-admin (break-glass). Default: none."
    )
)


def _service_exposure(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = read_config(SERVICE_EXPOSURE, _SERVICE_SCHEMA, args.get_config())
    if args.resource_type != SERVICE_TYPE:
        return
    service_type = get(args.props, "spec", "type")
    if service_type not in EXPOSED_SERVICE_TYPES:
        return
    namespace = namespace_of(args.props, provider_props(args))
    if namespace in config["allowedNamespaces"]:
        return
    allowed = list(config["allowedNamespaces"]) or "none"
    report_violation(
        f"Service '{display_name(args.props, args.name)}' in namespace '{namespace}' has spec.type "
        f"{service_type}, which exposes it outside the cluster; use ClusterIP behind the mesh ingress "
        f"gateway, or add the namespace to allowedNamespaces (now: {allowed})",
        None,
    )


_SERVICE_SCHEMA = schema(
    allowedNamespaces=string_list(
        "Namespaces where Services of type LoadBalancer or NodePort are allowed (e.g. the ingress "
        "gateway's). Default: none."
    )
)

CLUSTER_POLICIES = [
    ResourceValidationPolicy(
        name=NO_CLUSTER_ADMIN,
        description=(
            "No ClusterRoleBinding or RoleBinding may grant the cluster-admin ClusterRole (allow-list aside)."
        ),
        validate=_cluster_admin,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=_CLUSTER_ADMIN_SCHEMA,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Bind a least-privilege ClusterRole or Role instead of cluster-admin. A reviewed break-glass "
            "binding goes in this policy's allowedBindings."
        ),
        **ControlMap("AC-6", "C-4.4-3", more_controls=("AC-2", "AC-3", "AC-5")).metadata("rbac"),
    ),
    ResourceValidationPolicy(
        name=SERVICE_EXPOSURE,
        description="Services of type LoadBalancer or NodePort are allowed only in configured namespaces.",
        validate=_service_exposure,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=_SERVICE_SCHEMA,
        severity=Severity.HIGH,
        remediation_steps=(
            "Use type ClusterIP and route external traffic through the mesh ingress gateway; list the "
            "gateway's namespace in this policy's allowedNamespaces."
        ),
        **ControlMap("SC-7", "C-2.2-4", more_controls=("AC-4",), more_items=("C-4.4-3",)).metadata("network"),
    ),
]
