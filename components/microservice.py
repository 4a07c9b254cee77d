"""Microservice: one declaration in, every object the service needs on a zero-trust mesh out.

From `MicroserviceArgs` the component derives the namespace (revision label, Pod Security
restricted), a dedicated ServiceAccount, a hardened Deployment, Service, PodDisruptionBudget,
NetworkPolicies, the AuthorizationPolicy, DestinationRule, VirtualService, Sidecar and
ServiceEntries, and for an exposed service the gateway route with JWT checks.

The Kubernetes provider comes from `opts` (`providers=[k8s_provider]`); children inherit it.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from components.microservice_workload import pod_template, service_ports
from components.network_policy import default_deny_spec, service_allow_spec
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

    # -- workload and network ---------------------------------------------------------------------

    def _workload(self) -> None:
        svc = self._svc
        k8s.core.v1.ServiceAccount(
            f"{self._name}-sa",
            metadata=self._meta(name=svc.sa),
            automount_service_account_token=False,
            opts=self._opts(),
        )
        k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=self._meta(),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=svc.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": svc.name}),
                template=pod_template(svc),
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
            spec=k8s.core.v1.ServiceSpecArgs(selector={"app": svc.name}, ports=service_ports(svc)),
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

    def _network_policies(self) -> None:
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-netpol-default-deny",
            metadata=self._meta(name="default-deny"),
            spec=default_deny_spec(),
            opts=self._opts(),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-netpol-allow",
            metadata=self._meta(name=f"{self._svc.name}-allow"),
            spec=service_allow_spec(self._svc, self._catalog, self._mesh),
            opts=self._opts(),
        )

    # -- Istio --------------------------------------------------------------------------------------

    def _istio(self) -> None:
        svc, mesh, catalog = self._svc, self._mesh, self._catalog
        ns = svc.ns
        # The four per-service objects, each named after the service in its namespace.
        for suffix, api_version, kind, spec in (
            ("authz", "security.istio.io/v1", "AuthorizationPolicy", authorization_policy_spec),
            ("destination-rule", "networking.istio.io/v1", "DestinationRule", destination_rule_spec),
            ("virtual-service", "networking.istio.io/v1", "VirtualService", virtual_service_spec),
            ("sidecar", "networking.istio.io/v1", "Sidecar", sidecar_spec),
        ):
            self._custom(suffix, api_version, kind, spec(svc, catalog, mesh), obj=svc.name, namespace=ns)
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
