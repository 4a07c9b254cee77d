"""no-cluster-admin-binding and service-exposure-namespaces."""

from __future__ import annotations

from typing import Any

import pytest

from tests import packharness
from tests.packharness import UNKNOWN, Res
from tests.policies.test_k8s_support import analyze

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline.cluster import CLUSTER_POLICIES  # noqa: E402

CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
RB = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
SERVICE = "kubernetes:core/v1:Service"


def binding(role: str, name: str | None = "ci-admin", kind: str = CRB) -> Res:
    metadata = {"name": name} if name else {}
    return Res(
        kind,
        {
            "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "Group", "name": "ci", "apiGroup": "rbac.authorization.k8s.io"}],
        },
        name="binding",
    )


def service(service_type: Any, namespace: str | None = "apps") -> Res:
    metadata = {"name": "web", **({"namespace": namespace} if namespace else {})}
    return Res(
        SERVICE, {"metadata": metadata, "spec": {"type": service_type, "ports": [{"port": 80}]}}, name="web"
    )


def run(policy: str, resource: Res, config: dict[str, Any] | None = None) -> list[packharness.Finding]:
    return packharness.violations(analyze(CLUSTER_POLICIES, resource, config), policy)


# --- no-cluster-admin-binding --------------------------------------------------------------------


@pytest.mark.parametrize("kind", [CRB, RB])
def test_binding_to_cluster_admin_fails(kind: str) -> None:
    [finding] = run("no-cluster-admin-binding", binding("cluster-admin", kind=kind))
    assert finding.level == "mandatory"
    assert f"{kind.rsplit(':', 1)[1]} 'ci-admin' binds roleRef ClusterRole 'cluster-admin'" in finding.message


def test_binding_to_a_narrow_role_passes() -> None:
    assert run("no-cluster-admin-binding", binding("view")) == []


def test_allow_listed_binding_passes_by_metadata_or_resource_name() -> None:
    config = {"no-cluster-admin-binding": {"allowedBindings": ["ci-admin"]}}
    assert run("no-cluster-admin-binding", binding("cluster-admin"), config) == []
    auto_named = binding("cluster-admin", name=None)
    assert (
        run(
            "no-cluster-admin-binding",
            auto_named,
            {"no-cluster-admin-binding": {"allowedBindings": ["binding"]}},
        )
        == []
    )
    [finding] = run("no-cluster-admin-binding", auto_named, config)
    assert "'binding (auto-named)'" in finding.message


def test_binding_with_unknown_role_is_a_preview_advisory() -> None:
    findings = analyze(CLUSTER_POLICIES, binding(UNKNOWN))
    [notice] = findings
    assert notice.policy == "no-cluster-admin-binding" and notice.level == "advisory"
    assert "during preview" in notice.message


def test_binding_without_role_ref_passes_quietly() -> None:
    assert run("no-cluster-admin-binding", Res(CRB, {"metadata": {"name": "x"}})) == []


# --- service-exposure-namespaces -----------------------------------------------------------------


@pytest.mark.parametrize("service_type", ["LoadBalancer", "NodePort"])
def test_exposed_service_outside_allowed_namespaces_fails(service_type: str) -> None:
    [finding] = run("service-exposure-namespaces", service(service_type))
    assert f"Service 'web' in namespace 'apps' has spec.type {service_type}" in finding.message
    assert "(now: none)" in finding.message


def test_exposed_service_in_allowed_namespace_passes() -> None:
    config = {"service-exposure-namespaces": {"allowedNamespaces": ["istio-ingress"]}}
    assert run("service-exposure-namespaces", service("LoadBalancer", "istio-ingress"), config) == []
    [finding] = run("service-exposure-namespaces", service("LoadBalancer", None), config)
    assert "in namespace 'default'" in finding.message and "(now: ['istio-ingress'])" in finding.message


@pytest.mark.parametrize("service_type", ["ClusterIP", None])
def test_internal_service_passes(service_type: str | None) -> None:
    assert run("service-exposure-namespaces", service(service_type)) == []


def test_service_with_unknown_type_is_a_preview_advisory() -> None:
    [notice] = analyze(CLUSTER_POLICIES, service(UNKNOWN))
    assert notice.policy == "service-exposure-namespaces" and "during preview" in notice.message


def test_service_config_is_validated() -> None:
    with pytest.raises(ValueError, match="key 'allowedNamespaces' has value 'istio-ingress'"):
        run(
            "service-exposure-namespaces",
            service("ClusterIP"),
            {"service-exposure-namespaces": {"allowedNamespaces": "istio-ingress"}},
        )
