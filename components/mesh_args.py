"""Typed arguments of the ServiceMesh component, and the plain reference services get from it.

Every default is the secure choice. Anything that weakens the mesh is its own field whose name
ends in `_insecure`; the zero-trust-mesh policy pack still reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from components.errors import ConfigError
from components.mesh_charts import ISTIO_VERSION, ChartSourceOverride, revision_for

MtlsMode = Literal["PERMISSIVE", "DISABLE"]
TlsVersion = Literal["TLSV1_2", "TLSV1_3"]
ServiceType = Literal["LoadBalancer", "NodePort", "ClusterIP"]
CaMode = Literal["cacerts", "istio-csr"]

MAX_CERT_TTL_HOURS = 24

# Helm release names of the gateways. The gateway chart names the Deployment, its ServiceAccount
# and the `istio=<name without istio->` pod label after the release.
INGRESS_RELEASE = "istio-ingressgateway"
EGRESS_RELEASE = "istio-egressgateway"


@dataclass(frozen=True)
class TracingArgs:
    """OpenTelemetry tracing provider the sidecars send spans to (set by the observability stack)."""

    service: str
    """Collector Service FQDN, e.g. `otel-collector.monitoring.svc.cluster.local`."""
    port: int = 4317
    """Collector OTLP gRPC port."""
    sampling_percent: float = 1.0
    """Share of requests traced, 0-100."""
    provider_name: str = "otel-tracing"
    """Name of the meshConfig extension provider the Telemetry resource refers to."""

    @property
    def namespace(self) -> str:
        """The collector's namespace, read from its Service FQDN (`name.namespace.svc...`)."""
        parts = self.service.split(".")
        return parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True)
class CaArgs:
    """Where workload certificates are signed (SM-DR12: rooted in the enterprise PKI)."""

    mode: CaMode = "cacerts"
    """`cacerts`: istiod signs with an intermediate CA from the existing `cacerts` Secret in the root
    namespace (provisioned from the enterprise PKI, e.g. AWS Private CA); istiod will not start
    without it, so it never falls back to a self-signed root. `istio-csr`: cert-manager's istio-csr
    signs and istiod's own CA server is turned off."""
    istio_csr_address: str = "cert-manager-istio-csr.cert-manager.svc:443"
    """Address of istio-csr, used when mode is `istio-csr`."""


@dataclass(frozen=True)
class IngressGatewayArgs:
    """The ingress gateway: its own namespace, explicit hosts, TLS from a Secret."""

    enabled: bool = True
    """Install the ingress gateway chart and its Gateway resource."""
    namespace: str = "istio-ingress"
    """Namespace of the gateway Deployment, its Gateway and its TLS Secret."""
    name: str = "public"
    """Name of the Istio Gateway resource; services bind to `<namespace>/<name>`."""
    hosts: list[str] = field(default_factory=list)
    """Exact host names served (no wildcards); every exposed service's host must be listed."""
    credential_name: str = "ingress-tls"
    """Kubernetes TLS Secret in the gateway namespace (e.g. issued by cert-manager)."""
    min_tls_version: TlsVersion = "TLSV1_2"
    """Lowest TLS version the gateway accepts."""
    http_redirect: bool = True
    """Add a port-80 server that only redirects to HTTPS."""
    plaintext_http_insecure: bool = False
    """INSECURE: serve routes over plain HTTP on port 80 instead of redirecting."""
    service_type: ServiceType = "LoadBalancer"
    """Type of the gateway Service."""
    service_annotations: dict[str, str] = field(default_factory=dict)
    """Annotations of the gateway Service (e.g. an internal AWS NLB)."""
    replicas: int = 2
    """Minimum gateway replicas (the chart's autoscaler may add more)."""


@dataclass(frozen=True)
class EgressGatewayArgs:
    """An optional egress gateway in its own namespace (SP 800-204C §2.2.1: outbound connections)."""

    enabled: bool = False
    """Install the egress gateway chart."""
    namespace: str = "istio-egress"
    """Namespace of the egress gateway Deployment."""
    replicas: int = 2
    """Minimum egress gateway replicas."""


@dataclass(frozen=True)
class ServiceMeshArgs:
    """Istio installed from the official charts at a pinned version, zero-trust by default."""

    istio_version: str = ISTIO_VERSION
    """Exact chart version of all four Istio charts; its minor gives the revision (1.30.4 -> 1-30)."""
    canary_version: str | None = None
    """A second istiod revision installed beside the stable one; services opt in with `revision`."""
    root_namespace: str = "istio-system"
    """Istio root namespace: istiod and the mesh-wide policies live here."""
    cni_namespace: str = "istio-cni"
    """Namespace of the CNI node agent (privileged, so kept apart from istiod)."""
    trust_domain: str = "cluster.local"
    """SPIFFE trust domain of workload identities."""
    cluster_domain: str = "cluster.local"
    """Kubernetes DNS domain of Services."""
    monitoring_namespace: str = "monitoring"
    """Namespace whose Prometheus may scrape sidecar metrics (NetworkPolicy allows it)."""
    istiod_replicas: int = 2
    """Minimum istiod replicas."""
    hold_application_until_proxy_starts: bool = True
    """Start app containers only once the sidecar is ready, so early calls are not refused."""
    workload_cert_ttl_hours: int = 12
    """Lifetime of workload certificates in hours (SM-DR13); at most 24."""
    ca: CaArgs = field(default_factory=CaArgs)
    """Enterprise CA plug-in (SM-DR12)."""
    tracing: TracingArgs | None = None
    """Tracing provider hook; unset until the observability stack points it at a collector."""
    ingress: IngressGatewayArgs = field(default_factory=IngressGatewayArgs)
    """Ingress gateway."""
    egress: EgressGatewayArgs = field(default_factory=EgressGatewayArgs)
    """Optional egress gateway."""
    chart_sources: dict[str, ChartSourceOverride] = field(default_factory=dict)
    """Per-chart location override (`base`, `cni`, `istiod`, `gateway`) for air-gapped installs."""
    mtls_mode_insecure: MtlsMode | None = None
    """INSECURE: mesh-wide mTLS mode instead of STRICT."""
    default_deny_disabled_insecure: bool = False
    """INSECURE: do not create the mesh-wide allow-nothing AuthorizationPolicy."""
    allow_any_outbound_insecure: bool = False
    """INSECURE: outboundTrafficPolicy ALLOW_ANY instead of REGISTRY_ONLY."""
    access_logging_disabled_insecure: bool = False
    """INSECURE: turn mesh-wide access logging off in the Telemetry resource."""
    self_signed_ca_insecure: bool = False
    """INSECURE: let istiod generate its own self-signed root instead of an enterprise CA."""
    cni_disabled_insecure: bool = False
    """INSECURE: no CNI node agent; every pod then needs a NET_ADMIN/NET_RAW init container."""

    @property
    def revision(self) -> str:
        """The stable istiod revision every mesh namespace is labelled with."""
        return revision_for(self.istio_version)

    @property
    def istiod_releases(self) -> list[tuple[str, str]]:
        """(revision, chart version) of every istiod to install, stable first, canary second."""
        versions = [self.istio_version, *([self.canary_version] if self.canary_version else [])]
        return [(revision_for(v), v) for v in versions]

    @property
    def revisions(self) -> list[str]:
        """All installed istiod revisions, stable first."""
        return [rev for rev, _ in self.istiod_releases]


def check_mesh_args(args: ServiceMeshArgs, key: str = "mesh") -> None:
    """What ServiceMesh refuses even from Python callers (the config parser checks more)."""
    revisions = args.revisions  # an unpinned version raises here
    if not 1 <= args.workload_cert_ttl_hours <= MAX_CERT_TTL_HOURS:
        raise ConfigError(
            f"{key}.workloadCertTtlHours",
            args.workload_cert_ttl_hours,
            f"1 to {MAX_CERT_TTL_HOURS} hours (SM-DR13: as short as the infrastructure allows)",
        )
    if len(set(revisions)) != len(revisions):
        raise ConfigError(
            f"{key}.canaryVersion",
            args.canary_version,
            f"a minor version other than {args.istio_version}'s",
            "patch upgrades are done in place, not as a canary revision",
        )


@dataclass(frozen=True)
class MeshRef:
    """What a microservice needs to know about the mesh (plain values, known at preview)."""

    revision: str = revision_for(ISTIO_VERSION)
    revisions: tuple[str, ...] = (revision_for(ISTIO_VERSION),)
    root_namespace: str = "istio-system"
    trust_domain: str = "cluster.local"
    cluster_domain: str = "cluster.local"
    monitoring_namespace: str = "monitoring"
    ingress_namespace: str = "istio-ingress"
    ingress_gateway: str = "istio-ingress/public"
    ingress_selector: tuple[tuple[str, str], ...] = (("istio", "ingressgateway"),)
    ingress_service_account: str = "istio-ingressgateway"
    ingress_hosts: tuple[str, ...] = ()
    tracing: TracingArgs | None = None

    @classmethod
    def from_args(cls, args: ServiceMeshArgs) -> MeshRef:
        return cls(
            revision=args.revision,
            revisions=tuple(args.revisions),
            root_namespace=args.root_namespace,
            trust_domain=args.trust_domain,
            cluster_domain=args.cluster_domain,
            monitoring_namespace=args.monitoring_namespace,
            ingress_namespace=args.ingress.namespace,
            ingress_gateway=f"{args.ingress.namespace}/{args.ingress.name}",
            ingress_selector=(("istio", INGRESS_RELEASE.removeprefix("istio-")),),
            ingress_service_account=INGRESS_RELEASE,
            ingress_hosts=tuple(args.ingress.hosts),
            tracing=args.tracing,
        )

    def principal(self, namespace: str, service_account: str) -> str:
        """SPIFFE identity (without `spiffe://`) as AuthorizationPolicy `principals` spell it."""
        return f"{self.trust_domain}/ns/{namespace}/sa/{service_account}"

    @property
    def ingress_principal(self) -> str:
        return self.principal(self.ingress_namespace, self.ingress_service_account)
