"""The declaration of one microservice: what it runs, who may call it, what it calls.

Everything the mesh enforces for the service (identity, mTLS, authorization, network policy,
egress, routing, resilience) is derived from this one declaration. Defaults are the secure choice;
the only weakening switches end in `_insecure`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Protocol = Literal["http", "http2", "grpc", "tcp"]
HTTP_PROTOCOLS: frozenset[str] = frozenset({"http", "http2", "grpc"})


@dataclass(frozen=True)
class ServicePort:
    """One port the service listens on (container port = Service port)."""

    name: str
    """Port name (DNS-1123 label); the Service port is named `<protocol>-<name>`."""
    port: int
    """Port number, 1024-65535 (the container runs as non-root)."""
    protocol: Protocol = "http"
    """Application protocol, declared so Istio never has to sniff it."""


@dataclass(frozen=True)
class JwtArgs:
    """End-user JWT required at the gateway and at the workload (SM-DR16, EAUN-SR-1)."""

    issuer: str
    """Expected `iss` claim."""
    jwks_uri: str
    """HTTPS URL of the issuer's signing keys."""
    audiences: list[str] = field(default_factory=list)
    """Accepted `aud` values; empty accepts any audience from this issuer."""


@dataclass(frozen=True)
class ExposureArgs:
    """Publish the service at the ingress gateway on one host and path prefix."""

    host: str
    """Exact host name; must be one of the mesh ingress hosts."""
    path: str = "/"
    """Path prefix routed to the service."""
    port: int | None = None
    """Service port the route targets; defaults to the first HTTP port."""
    jwt: JwtArgs | None = None
    """JWT the gateway and the workload require. Required unless `anonymous_insecure`."""
    anonymous_insecure: bool = False
    """INSECURE: serve the route without end-user authentication."""


@dataclass(frozen=True)
class ResourcesArgs:
    """Container requests and limits."""

    cpu_request: str = "100m"
    memory_request: str = "128Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "256Mi"


@dataclass(frozen=True)
class MicroserviceArgs:
    """One microservice on the mesh."""

    name: str
    """Service name (DNS-1123 label); also its namespace and ServiceAccount unless overridden."""
    image: str
    """Container image pinned by digest: `<registry>/<repository>@sha256:<64 hex>`."""
    ports: list[ServicePort]
    """Ports it serves; at least one."""
    replicas: int = 2
    """Pod replicas (>= 2 keeps the service up while a node drains)."""
    callers: list[str] = field(default_factory=list)
    """Services allowed to call this one; nobody else can."""
    calls: list[str] = field(default_factory=list)
    """Services this one calls; it can reach nothing else in the mesh."""
    external_hosts: list[str] = field(default_factory=list)
    """Exact external host names it calls over HTTPS (port 443); no wildcards."""
    exposure: ExposureArgs | None = None
    """Publish at the ingress gateway; unset keeps the service internal."""
    namespace: str | None = None
    """Namespace of its own (default: the service name)."""
    service_account: str | None = None
    """ServiceAccount of its own (default: the service name)."""
    resources: ResourcesArgs = field(default_factory=ResourcesArgs)
    """Container requests and limits."""
    health_path: str = "/healthz"
    """HTTP path of the readiness and liveness probes (on the first HTTP port)."""
    run_as_user: int = 10001
    """Non-zero UID the container runs as."""
    timeout_seconds: float = 5.0
    """Route timeout of the VirtualService."""
    retries: int = 2
    """Retry attempts on connection failures and 503s (0-5)."""
    per_try_timeout_seconds: float = 2.0
    """Timeout of each try."""
    env: dict[str, str] = field(default_factory=dict)
    """Plain environment variables (never secrets)."""
    revision: str | None = None
    """istiod revision of its namespace (a canary revision); default: the mesh's stable one."""
    injection_disabled_insecure: bool = False
    """INSECURE: label the pods `sidecar.istio.io/inject: "false"` (no proxy, no mTLS, no authz)."""

    @property
    def ns(self) -> str:
        return self.namespace or self.name

    @property
    def sa(self) -> str:
        return self.service_account or self.name

    @property
    def http_ports(self) -> list[ServicePort]:
        return [p for p in self.ports if p.protocol in HTTP_PROTOCOLS]

    @property
    def exposed_port(self) -> int | None:
        """The Service port the gateway route targets."""
        if self.exposure is None:
            return None
        if self.exposure.port is not None:
            return self.exposure.port
        http = self.http_ports
        return http[0].port if http else None
