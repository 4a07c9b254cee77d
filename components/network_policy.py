"""Kubernetes NetworkPolicy specs: the default deny every mesh namespace gets, and the allow list
a microservice's declaration implies (a second layer under the mesh's own authorization).

The mesh decides *who* may call (identities); these decide which pods may even connect, so a pod
that bypasses its sidecar is still boxed in (Istio security best practices, defense in depth).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi_kubernetes as k8s

from components.mesh_args import MeshRef
from components.microservice_args import MicroserviceArgs

NP = k8s.networking.v1

# Private and link-local ranges (the node's instance metadata service included) stay closed even
# for services with external dependencies; the mesh narrows the rest to the declared hosts.
NON_PUBLIC_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"]
# Where in-cluster endpoints without labels (nodes, the API server's ENIs) may be when no tighter
# CIDR is known: every private range, but not link-local (the instance metadata service).
PRIVATE_RANGES = tuple(c for c in NON_PUBLIC_CIDRS if not c.startswith("169.254."))
KUBE_DNS_LABELS = {"k8s-app": "kube-dns"}
SIDECAR_METRICS_PORTS = (15020, 15090)
ISTIOD_XDS_PORT = 15012


# --- the same peers as plain dicts, for components whose specs are plain data (shared with tests) ---


def ip_block_peers(cidrs: Sequence[str]) -> list[dict[str, Any]]:
    """One ipBlock peer per CIDR."""
    return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]


def public_peers() -> list[dict[str, Any]]:
    """Every public address: not private, CGNAT or link-local (the instance metadata service)."""
    return [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_PUBLIC_CIDRS)}}]


def dns_egress_rule() -> dict[str, Any]:
    """Egress to kube-dns in kube-system on 53, UDP and TCP."""
    return {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": dict(KUBE_DNS_LABELS)}}],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def default_deny_spec() -> k8s.networking.v1.NetworkPolicySpecArgs:
    """Selects every pod of the namespace and allows nothing in or out."""
    return NP.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
    )


def _peer(
    namespace: str, pod_labels: Mapping[str, str] | None = None
) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return NP.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(
            match_labels={"kubernetes.io/metadata.name": namespace}
        ),
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pod_labels)) if pod_labels else None,
    )


def _tcp(*ports: int) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [NP.NetworkPolicyPortArgs(port=p, protocol="TCP") for p in ports]


def _ingress(
    svc: MicroserviceArgs, catalog: Mapping[str, MicroserviceArgs], mesh: MeshRef
) -> list[k8s.networking.v1.NetworkPolicyIngressRuleArgs]:
    own_ports = [p.port for p in svc.ports]
    rules = [
        NP.NetworkPolicyIngressRuleArgs(from_=[_peer(catalog[c].ns, {"app": c})], ports=_tcp(*own_ports))
        for c in sorted(svc.callers)
    ]
    if svc.exposed_port is not None:
        rules.append(
            NP.NetworkPolicyIngressRuleArgs(
                from_=[_peer(mesh.ingress_namespace, dict(mesh.ingress_selector))],
                ports=_tcp(svc.exposed_port),
            )
        )
    # Prometheus scrapes the sidecar's merged metrics; istiod never dials workloads.
    rules.append(
        NP.NetworkPolicyIngressRuleArgs(
            from_=[_peer(mesh.monitoring_namespace)], ports=_tcp(*SIDECAR_METRICS_PORTS)
        )
    )
    return rules


def _egress(
    svc: MicroserviceArgs, catalog: Mapping[str, MicroserviceArgs], mesh: MeshRef
) -> list[k8s.networking.v1.NetworkPolicyEgressRuleArgs]:
    dns = [
        NP.NetworkPolicyPortArgs(port=53, protocol="UDP"),
        NP.NetworkPolicyPortArgs(port=53, protocol="TCP"),
    ]
    rules = [
        NP.NetworkPolicyEgressRuleArgs(to=[_peer("kube-system", KUBE_DNS_LABELS)], ports=dns),
        # Sidecars fetch their config and certificates from istiod.
        NP.NetworkPolicyEgressRuleArgs(
            to=[_peer(mesh.root_namespace, {"app": "istiod"})], ports=_tcp(ISTIOD_XDS_PORT)
        ),
    ]
    for callee in sorted(svc.calls):
        target = catalog[callee]
        rules.append(
            NP.NetworkPolicyEgressRuleArgs(
                to=[_peer(target.ns, {"app": target.name})], ports=_tcp(*(p.port for p in target.ports))
            )
        )
    if svc.external_hosts:
        public = NP.IPBlockArgs(cidr="0.0.0.0/0", except_=NON_PUBLIC_CIDRS)
        rules.append(
            NP.NetworkPolicyEgressRuleArgs(to=[NP.NetworkPolicyPeerArgs(ip_block=public)], ports=_tcp(443))
        )
    if mesh.tracing is not None and mesh.tracing.namespace:
        rules.append(
            NP.NetworkPolicyEgressRuleArgs(to=[_peer(mesh.tracing.namespace)], ports=_tcp(mesh.tracing.port))
        )
    return rules


def service_allow_spec(
    svc: MicroserviceArgs, catalog: Mapping[str, MicroserviceArgs], mesh: MeshRef
) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """In: declared callers, the gateway (if exposed), monitoring. Out: DNS, istiod, declared
    callees, HTTPS to public addresses (only with external hosts), the tracing collector."""
    return NP.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": svc.name}),
        policy_types=["Ingress", "Egress"],
        ingress=_ingress(svc, catalog, mesh),
        egress=_egress(svc, catalog, mesh),
    )
