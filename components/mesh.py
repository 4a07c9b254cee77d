"""ServiceMesh: Istio from the official Helm charts, installed as a revision, zero-trust by default.

Charts are `kubernetes.helm.v4.Chart`: the provider renders them client-side and registers every
object as its own resource, so policy packs see rendered objects under the real engine (a
`helm.v3.Release` would be one opaque resource). v4 Charts run no Helm hooks; the Istio charts
installed here do not rely on any.

The Kubernetes provider comes from `opts` (`pulumi.ResourceOptions(providers=[k8s_provider])`);
every child inherits it through `parent=self`.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.mesh_args import (
    EGRESS_RELEASE,
    INGRESS_RELEASE,
    CaArgs,
    EgressGatewayArgs,
    IngressGatewayArgs,
    MeshRef,
    ServiceMeshArgs,
    TracingArgs,
    check_mesh_args,
)
from components.mesh_charts import ChartSourceOverride, resolve_chart
from components.mesh_policy import (
    allow_nothing_spec,
    ingress_gateway_spec,
    peer_authentication_spec,
    telemetry_spec,
)
from components.mesh_values import base_values, cni_values, gateway_values, istiod_values
from components.network_policy import default_deny_spec

__all__ = [
    "CaArgs",
    "ChartSourceOverride",
    "EgressGatewayArgs",
    "IngressGatewayArgs",
    "MeshRef",
    "ServiceMesh",
    "ServiceMeshArgs",
    "TracingArgs",
    "pod_security_labels",
]


def pod_security_labels(level: str = "restricted") -> dict[str, str]:
    """Pod Security Admission labels enforcing, auditing and warning at one level."""
    return {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}


class ServiceMesh(pulumi.ComponentResource):
    """Istio control plane, CNI, gateways and the mesh-wide zero-trust policies."""

    ref: MeshRef
    revision: str
    root_namespace: str
    ingress_gateway: str

    def __init__(self, name: str, args: ServiceMeshArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Checked before anything is registered, so a bad value leaves no half-built mesh behind.
        check_mesh_args(args)
        super().__init__("devsecops:mesh:ServiceMesh", name, None, opts)
        self._args = args
        self.ref = MeshRef.from_args(args)
        self.revision = args.revision
        self.root_namespace = args.root_namespace
        self.ingress_gateway = self.ref.ingress_gateway

        self.namespaces: list[k8s.core.v1.Namespace] = []
        self.charts: list[k8s.helm.v4.Chart] = []

        root_ns = self._namespace(name, "root", args.root_namespace, pod_security_labels())
        base = self._chart(
            name, "base", "base", "istio-base", args.root_namespace, base_values(args), [root_ns]
        )
        if not args.cni_disabled_insecure:
            # The node agent writes CNI config on every node: it needs a privileged namespace.
            cni_ns = self._namespace(name, "cni", args.cni_namespace, pod_security_labels("privileged"))
            self._chart(name, "cni", "cni", "istio-cni", args.cni_namespace, cni_values(args), [cni_ns])
        istiods = [
            self._chart(
                name,
                f"istiod-{rev}",
                "istiod",
                f"istiod-{rev}",
                args.root_namespace,
                istiod_values(args, rev),
                [base],
                version=version,
            )
            for rev, version in args.istiod_releases
        ]
        control_plane: list[pulumi.Resource] = [base, *istiods]

        policies = self._mesh_policies(name, control_plane)
        if args.ingress.enabled:
            self._ingress(name, control_plane, policies)
        if args.egress.enabled:
            self._egress(name, control_plane)

        self.register_outputs(
            {
                "revision": self.revision,
                "revisions": args.revisions,
                "rootNamespace": self.root_namespace,
                "ingressGateway": self.ingress_gateway,
                "istioVersion": args.istio_version,
            }
        )

    # -- building blocks ---------------------------------------------------------------------

    def _namespace(self, name: str, role: str, ns: str, labels: dict[str, str]) -> k8s.core.v1.Namespace:
        """A mesh namespace, closed by a default-deny NetworkPolicy; the charts' own NetworkPolicies
        (values global.networkPolicy.enabled) then open exactly the ports their pods serve."""
        namespace = k8s.core.v1.Namespace(
            f"{name}-ns-{role}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels=labels),
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-ns-{role}-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny", namespace=ns),
            spec=default_deny_spec(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
        )
        self.namespaces.append(namespace)
        return namespace

    def _chart(
        self,
        name: str,
        logical: str,
        role: str,
        release: str,
        namespace: str,
        values: dict[str, Any],
        depends_on: list[pulumi.Resource],
        version: str | None = None,
    ) -> k8s.helm.v4.Chart:
        source = resolve_chart(role, version or self._args.istio_version, self._args.chart_sources.get(role))
        chart = k8s.helm.v4.Chart(
            f"{name}-{logical}",
            chart=source.chart,
            version=source.version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=source.repository)
            if source.repository
            else None,
            name=release,
            namespace=namespace,
            values=values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
        self.charts.append(chart)
        return chart

    def _custom(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        obj_name: str,
        namespace: str,
        spec: dict[str, Any],
        depends_on: list[pulumi.Resource],
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=obj_name, namespace=namespace),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _mesh_policies(self, name: str, control_plane: list[pulumi.Resource]) -> list[pulumi.Resource]:
        """Mesh-wide PeerAuthentication, allow-nothing AuthorizationPolicy and Telemetry."""
        args, root = self._args, self._args.root_namespace
        created: list[pulumi.Resource] = [
            self._custom(
                f"{name}-mtls",
                "security.istio.io/v1",
                "PeerAuthentication",
                "default",
                root,
                peer_authentication_spec(args),
                control_plane,
            ),
            self._custom(
                f"{name}-telemetry",
                "telemetry.istio.io/v1",
                "Telemetry",
                "mesh-default",
                root,
                telemetry_spec(args),
                control_plane,
            ),
        ]
        if not args.default_deny_disabled_insecure:
            created.append(
                self._custom(
                    f"{name}-allow-nothing",
                    "security.istio.io/v1",
                    "AuthorizationPolicy",
                    "allow-nothing",
                    root,
                    allow_nothing_spec(),
                    control_plane,
                )
            )
        return created

    def _ingress(
        self, name: str, control_plane: list[pulumi.Resource], policies: list[pulumi.Resource]
    ) -> None:
        args, ingress = self._args, self._args.ingress
        ns = self._namespace(
            name, "ingress", ingress.namespace, {**pod_security_labels(), "istio.io/rev": args.revision}
        )
        chart = self._chart(
            name,
            "ingressgateway",
            "gateway",
            INGRESS_RELEASE,
            ingress.namespace,
            gateway_values(
                args,
                replicas=ingress.replicas,
                service_type=ingress.service_type,
                service_annotations=ingress.service_annotations,
                with_http=ingress.http_redirect or ingress.plaintext_http_insecure,
            ),
            [ns, *control_plane],
        )
        # A Gateway needs at least one host; with nothing exposed yet, only the gateway runs.
        if ingress.hosts:
            self._custom(
                f"{name}-gateway",
                "networking.istio.io/v1",
                "Gateway",
                ingress.name,
                ingress.namespace,
                ingress_gateway_spec(ingress, dict(self.ref.ingress_selector)),
                [chart, *policies],
            )

    def _egress(self, name: str, control_plane: list[pulumi.Resource]) -> None:
        args, egress = self._args, self._args.egress
        ns = self._namespace(
            name, "egress", egress.namespace, {**pod_security_labels(), "istio.io/rev": args.revision}
        )
        self._chart(
            name,
            "egressgateway",
            "gateway",
            EGRESS_RELEASE,
            egress.namespace,
            gateway_values(
                args,
                replicas=egress.replicas,
                service_type="ClusterIP",
                service_annotations={},
                with_http=True,
            ),
            [ns, *control_plane],
        )
