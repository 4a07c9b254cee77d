"""Microservice: one declaration in, every object the service needs on a zero-trust mesh out.

From `MicroserviceArgs` the component derives the namespace (revision label, Pod Security
restricted), a dedicated ServiceAccount, a hardened Deployment, Service, PodDisruptionBudget,
NetworkPolicies, the AuthorizationPolicy, DestinationRule, VirtualService, Sidecar and
ServiceEntries, and for an exposed service the gateway route with JWT checks.

The Kubernetes provider comes from `opts` (`providers=[k8s_provider]`); children inherit it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.mesh import ServiceMesh, pod_security_labels
from components.mesh_args import MeshRef
from components.microservice_args import (
    ExposureArgs,
    JwtArgs,
    MicroserviceArgs,
    ResourcesArgs,
    ServicePort,
)
from components.microservice_specs import (
    Catalog,
    authorization_policy_spec,
    destination_rule_spec,
    export_to,
    exposure_virtual_service_spec,
    gateway_authorization_spec,
    request_authentication_spec,
    service_entry_spec,
    sidecar_spec,
    virtual_service_spec,
)
from components.service_graph import call_graph, validate_services

__all__ = [
    "ExposureArgs",
    "JwtArgs",
    "Microservice",
    "MicroserviceArgs",
    "ResourcesArgs",
    "ServicePort",
    "call_graph",
    "deploy_services",
    "validate_services",
]

# Private and link-local ranges (the node's instance metadata service included) stay closed even
# for services with external dependencies; the mesh narrows the rest to the declared hosts.
NON_PUBLIC_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"]
SIDECAR_METRICS_PORTS = (15020, 15090)
ISTIOD_XDS_PORT = 15012
APP_PROTOCOL = {"http": "http", "http2": "http2", "grpc": "grpc", "tcp": "tcp"}


def _ns_peer(
    namespace: str, pod_labels: Mapping[str, str] | None = None
) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(
            match_labels={"kubernetes.io/metadata.name": namespace}
        ),
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pod_labels)) if pod_labels else None,
    )


def _tcp(*ports: int) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(port=p, protocol="TCP") for p in ports]


class Microservice(pulumi.ComponentResource):
    """One microservice with its identity, mTLS, authorization, egress, routing and resilience."""

    namespace: str
    service_account: str
    host: str

    def __init__(
        self,
        name: str,
        args: MicroserviceArgs,
        mesh: MeshRef,
        catalog: Sequence[MicroserviceArgs] = (),
        opts: pulumi.ResourceOptions | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> None:
        """`catalog` is the full set of declarations (callers and callees are looked up there);
        `depends_on` is applied to every child (pass the ServiceMesh so CRDs and webhooks exist)."""
        super().__init__("devsecops:mesh:Microservice", name, None, opts)
        self._svc = args
        self._mesh = mesh
        self._catalog: Catalog = {s.name: s for s in (*catalog, args)}
        self._name = name
        self.namespace = args.ns
        self.service_account = args.sa
        self.host = f"{args.name}.{args.ns}.svc.{mesh.cluster_domain}"

        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.ns,
                labels={**pod_security_labels(), "istio.io/rev": args.revision or mesh.revision},
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )
        self._deps: list[pulumi.Resource] = [ns, *depends_on]
        self._workload()
        self._network_policies()
        self._istio()
        self.register_outputs(
            {"namespace": self.namespace, "serviceAccount": self.service_account, "host": self.host}
        )

    # -- helpers ---------------------------------------------------------------------------------

    def _opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=self._deps)

    def _meta(
        self, name: str | None = None, namespace: str | None = None, **extra: Any
    ) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(
            name=name or self._svc.name,
            namespace=namespace or self._svc.ns,
            labels={"app": self._svc.name, "app.kubernetes.io/part-of": "devsecops-mesh"},
            **extra,
        )

    def _custom(
        self,
        suffix: str,
        api_version: str,
        kind: str,
        spec: dict[str, Any] | None,
        *,
        obj: str,
        namespace: str,
    ) -> None:
        if spec is None:
            return
        k8s.apiextensions.CustomResource(
            f"{self._name}-{suffix}",
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=obj, namespace=namespace),
            spec=spec,
            opts=self._opts(),
        )

    # -- workload ---------------------------------------------------------------------------------

    def _probe(self) -> k8s.core.v1.ProbeArgs:
        svc = self._svc
        first = (svc.http_ports or svc.ports)[0]
        timing: dict[str, Any] = {"period_seconds": 10, "timeout_seconds": 2, "failure_threshold": 3}
        if first.protocol in ("http", "http2"):
            return k8s.core.v1.ProbeArgs(
                http_get=k8s.core.v1.HTTPGetActionArgs(path=svc.health_path, port=first.port), **timing
            )
        if first.protocol == "grpc":
            return k8s.core.v1.ProbeArgs(grpc=k8s.core.v1.GRPCActionArgs(port=first.port), **timing)
        return k8s.core.v1.ProbeArgs(tcp_socket=k8s.core.v1.TCPSocketActionArgs(port=first.port), **timing)

    def _workload(self) -> None:
        svc = self._svc
        k8s.core.v1.ServiceAccount(
            f"{self._name}-sa",
            metadata=self._meta(name=svc.sa),
            # The app needs no Kubernetes API token; the sidecar mounts its own audience-bound one.
            automount_service_account_token=False,
            opts=self._opts(),
        )
        pod_labels = {"app": svc.name}
        if svc.injection_disabled_insecure:
            pod_labels["sidecar.istio.io/inject"] = "false"
        container_security = k8s.core.v1.SecurityContextArgs(
            run_as_non_root=True,
            run_as_user=svc.run_as_user,
            run_as_group=svc.run_as_user,
            allow_privilege_escalation=False,
            privileged=False,
            read_only_root_filesystem=True,
            capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        )
        res = svc.resources
        container = k8s.core.v1.ContainerArgs(
            name="app",
            image=svc.image,
            ports=[
                k8s.core.v1.ContainerPortArgs(name=p.name, container_port=p.port, protocol="TCP")
                for p in svc.ports
            ],
            env=[k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in sorted(svc.env.items())] or None,
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": res.cpu_request, "memory": res.memory_request},
                limits={"cpu": res.cpu_limit, "memory": res.memory_limit},
            ),
            readiness_probe=self._probe(),
            liveness_probe=self._probe(),
            security_context=container_security,
            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],  # noqa: S108 - a private emptyDir
        )
        k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=self._meta(),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=svc.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": svc.name}),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=pod_labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=svc.sa,
                        automount_service_account_token=False,
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True,
                            run_as_user=svc.run_as_user,
                            run_as_group=svc.run_as_user,
                            fs_group=svc.run_as_user,
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        containers=[container],
                        # A read-only root filesystem still needs a scratch directory.
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="64Mi")
                            )
                        ],
                        topology_spread_constraints=[
                            k8s.core.v1.TopologySpreadConstraintArgs(
                                max_skew=1,
                                topology_key="topology.kubernetes.io/zone",
                                when_unsatisfiable="ScheduleAnyway",
                                label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": svc.name}),
                            )
                        ],
                    ),
                ),
            ),
            opts=self._opts(),
        )
        k8s.core.v1.Service(
            f"{self._name}-service",
            metadata=self._meta(
                # Only the callers' namespaces (and the gateway's) see the service at all.
                annotations={
                    "networking.istio.io/exportTo": ",".join(export_to(svc, self._catalog, self._mesh))
                },
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector={"app": svc.name},
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name=f"{p.protocol}-{p.name}",
                        port=p.port,
                        target_port=p.port,
                        protocol="TCP",
                        app_protocol=APP_PROTOCOL[p.protocol],
                    )
                    for p in svc.ports
                ],
            ),
            opts=self._opts(),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{self._name}-pdb",
            metadata=self._meta(),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": svc.name})
            ),
            opts=self._opts(),
        )

    # -- network policy ---------------------------------------------------------------------------

    def _network_policies(self) -> None:
        svc, mesh, catalog = self._svc, self._mesh, self._catalog
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-netpol-default-deny",
            metadata=self._meta(name="default-deny"),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
            ),
            opts=self._opts(),
        )
        own_ports = [p.port for p in svc.ports]
        ingress = [
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                from_=[_ns_peer(catalog[c].ns, {"app": c})], ports=_tcp(*own_ports)
            )
            for c in sorted(svc.callers)
        ]
        if svc.exposure is not None and svc.exposed_port is not None:
            ingress.append(
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[_ns_peer(mesh.ingress_namespace, dict(mesh.ingress_selector))],
                    ports=_tcp(svc.exposed_port),
                )
            )
        ingress.append(
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                from_=[_ns_peer(mesh.monitoring_namespace)], ports=_tcp(*SIDECAR_METRICS_PORTS)
            )
        )
        dns_ports = [
            k8s.networking.v1.NetworkPolicyPortArgs(port=53, protocol="UDP"),
            k8s.networking.v1.NetworkPolicyPortArgs(port=53, protocol="TCP"),
        ]
        egress = [
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                to=[_ns_peer("kube-system", {"k8s-app": "kube-dns"})], ports=dns_ports
            ),
            # Sidecars fetch config and certificates from istiod; istiod never dials workloads.
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                to=[_ns_peer(mesh.root_namespace, {"app": "istiod"})], ports=_tcp(ISTIOD_XDS_PORT)
            ),
        ]
        for callee in sorted(svc.calls):
            target = catalog[callee]
            egress.append(
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[_ns_peer(target.ns, {"app": target.name})],
                    ports=_tcp(*(p.port for p in target.ports)),
                )
            )
        if svc.external_hosts:
            egress.append(
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            ip_block=k8s.networking.v1.IPBlockArgs(cidr="0.0.0.0/0", except_=NON_PUBLIC_CIDRS)
                        )
                    ],
                    ports=_tcp(443),
                )
            )
        if mesh.tracing is not None and mesh.tracing.namespace:
            egress.append(
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[_ns_peer(mesh.tracing.namespace)], ports=_tcp(mesh.tracing.port)
                )
            )
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-netpol-allow",
            metadata=self._meta(name=f"{svc.name}-allow"),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": svc.name}),
                policy_types=["Ingress", "Egress"],
                ingress=ingress,
                egress=egress,
            ),
            opts=self._opts(),
        )

    # -- Istio --------------------------------------------------------------------------------------

    def _istio(self) -> None:
        svc, mesh, catalog = self._svc, self._mesh, self._catalog
        ns = svc.ns
        self._custom(
            "authz",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            authorization_policy_spec(svc, catalog, mesh),
            obj=svc.name,
            namespace=ns,
        )
        self._custom(
            "destination-rule",
            "networking.istio.io/v1",
            "DestinationRule",
            destination_rule_spec(svc, catalog, mesh),
            obj=svc.name,
            namespace=ns,
        )
        self._custom(
            "virtual-service",
            "networking.istio.io/v1",
            "VirtualService",
            virtual_service_spec(svc, catalog, mesh),
            obj=svc.name,
            namespace=ns,
        )
        self._custom(
            "sidecar",
            "networking.istio.io/v1",
            "Sidecar",
            sidecar_spec(svc, catalog, mesh),
            obj=svc.name,
            namespace=ns,
        )
        for host in svc.external_hosts:
            slug = host.replace(".", "-")[:50]
            self._custom(
                f"egress-{slug}",
                "networking.istio.io/v1",
                "ServiceEntry",
                service_entry_spec(host),
                obj=f"ext-{slug}",
                namespace=ns,
            )
        if svc.exposure is None:
            return
        gateway_selector = {"matchLabels": dict(mesh.ingress_selector)}
        self._custom(
            "route",
            "networking.istio.io/v1",
            "VirtualService",
            exposure_virtual_service_spec(svc, mesh),
            obj=f"{svc.name}-ingress",
            namespace=ns,
        )
        self._custom(
            "jwt",
            "security.istio.io/v1",
            "RequestAuthentication",
            request_authentication_spec(svc, {"matchLabels": {"app": svc.name}}),
            obj=f"{svc.name}-jwt",
            namespace=ns,
        )
        self._custom(
            "gateway-jwt",
            "security.istio.io/v1",
            "RequestAuthentication",
            request_authentication_spec(svc, gateway_selector),
            obj=f"{svc.name}-jwt",
            namespace=mesh.ingress_namespace,
        )
        self._custom(
            "gateway-authz",
            "security.istio.io/v1",
            "AuthorizationPolicy",
            gateway_authorization_spec(svc, mesh),
            obj=f"{svc.name}-ingress",
            namespace=mesh.ingress_namespace,
        )


def deploy_services(
    name: str,
    services: Sequence[MicroserviceArgs],
    mesh: ServiceMesh,
    opts: pulumi.ResourceOptions | None = None,
    key: str = "services",
) -> list[Microservice]:
    """Validate the declarations together, then create one Microservice each, after the mesh."""
    validate_services(services, key, mesh.ref)
    return [
        Microservice(f"{name}-{svc.name}", svc, mesh.ref, services, opts=opts, depends_on=[mesh])
        for svc in services
    ]
