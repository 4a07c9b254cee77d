"""Shared builders for the zero-trust-mesh policy tests (resources in the engine's input form)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy

from tests.packharness import Res, add_pack_to_path, analyze, analyze_stack, violations

add_pack_to_path("zero-trust-mesh")

from zero_trust_mesh import POLICIES  # noqa: E402 - importable once the pack dir is on the path

BY_NAME: dict[str, Policy] = {p.name: p for p in POLICIES}

GROUPS = {
    "PeerAuthentication": "security.istio.io",
    "AuthorizationPolicy": "security.istio.io",
    "RequestAuthentication": "security.istio.io",
    "DestinationRule": "networking.istio.io",
    "VirtualService": "networking.istio.io",
    "Gateway": "networking.istio.io",
    "Sidecar": "networking.istio.io",
    "ServiceEntry": "networking.istio.io",
    "Telemetry": "telemetry.istio.io",
}


def istio(kind: str, spec: Any, name: str = "r", namespace: str = "istio-system", version: str = "v1") -> Res:
    api = f"{GROUPS[kind]}/{version}"
    props = {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    return Res(f"kubernetes:{api}:{kind}", props, name=f"{namespace}-{name}")


def namespace(name: str, labels: dict[str, str] | None = None) -> Res:
    props = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}
    return Res("kubernetes:core/v1:Namespace", props, name=f"ns-{name}")


def meshed_namespace(name: str) -> Res:
    return namespace(name, {"istio.io/rev": "1-30"})


def deployment(
    name: str,
    ns: str,
    service_account: str | None = None,
    pod_labels: dict[str, str] | None = None,
    pod_annotations: dict[str, str] | None = None,
) -> Res:
    pod_spec: dict[str, Any] = {"containers": [{"name": "app", "image": "example/app@sha256:" + "0" * 64}]}
    if service_account is not None:
        pod_spec["serviceAccountName"] = service_account
    props = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {
                    "labels": {"app": name, **(pod_labels or {})},
                    "annotations": pod_annotations or {},
                },
                "spec": pod_spec,
            },
        },
    }
    return Res("kubernetes:apps/v1:Deployment", props, name=f"{ns}-{name}")


def chart(
    chart_name: str, values: dict[str, Any] | None = None, version: str | None = "1.30.4", v3: bool = False
) -> Res:
    props: dict[str, Any] = {"chart": chart_name, "values": values or {}, "namespace": "istio-system"}
    if version is not None:
        props["version"] = version
    kind = "kubernetes:helm.sh/v3:Release" if v3 else "kubernetes:helm.sh/v4:Chart"
    return Res(kind, props, name=f"chart-{chart_name.replace('/', '-')}")


def secure_istiod_values() -> dict[str, Any]:
    """The istiod values the ServiceMesh component produces by default, in short."""
    return {
        "cni": {"enabled": True},
        "env": {"DEFAULT_WORKLOAD_CERT_TTL": "12h", "MAX_WORKLOAD_CERT_TTL": "12h"},
        "volumes": [
            {"name": "enterprise-ca-required", "secret": {"secretName": "cacerts", "optional": False}}
        ],
        "volumeMounts": [
            {"name": "enterprise-ca-required", "mountPath": "/etc/enterprise-ca", "readOnly": True}
        ],
        "meshConfig": {
            "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
            "defaultConfig": {
                "holdApplicationUntilProxyStarts": True,
                "proxyMetadata": {"SECRET_TTL": "12h"},
            },
        },
    }


def messages(policy: str, resource: Res, config: dict[str, Any] | None = None) -> list[str]:
    """Violation messages (last line, without the description) of one policy on one resource."""
    found = analyze(BY_NAME[policy], resource, {policy: config} if config else None)
    return [f.message.splitlines()[-1] for f in violations(found, policy)]


def stack_messages(policy: str, resources: list[Res], config: dict[str, Any] | None = None) -> list[str]:
    found = analyze_stack(BY_NAME[policy], resources, {policy: config} if config else None)
    return [f.message.splitlines()[-1] for f in violations(found, policy)]


def stack_findings(policy: str, resources: list[Res], config: dict[str, Any] | None = None) -> list[Any]:
    return violations(analyze_stack(BY_NAME[policy], resources, {policy: config} if config else None), policy)
