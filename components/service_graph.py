"""Validate a set of microservice declarations together, and derive the allowed call graph.

A declaration error names its key path (`services[2].calls[0]`), the value and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from components.errors import ConfigError
from components.mesh_args import MeshRef
from components.microservice_args import HTTP_PROTOCOLS, MicroserviceArgs

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
DNS_NAME = re.compile(
    r"^(?=.{1,253}\Z)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+\Z"
)
DIGEST_IMAGE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._/-]+)+@sha256:[0-9a-f]{64}\Z")
# Ports the sidecar itself uses; an application port there would collide with Envoy.
ISTIO_RESERVED_PORTS = frozenset({15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090})
# Namespaces Kubernetes creates and uses itself.
KUBERNETES_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
MAX_NAME = 52  # leaves room for suffixes such as `-allow` in derived object names


def check_service(svc: MicroserviceArgs, key: str) -> None:
    """Field-level checks of one declaration (the parser runs them too)."""
    if len(svc.name) > MAX_NAME or not DNS_LABEL.match(svc.name):
        raise ConfigError(f"{key}.name", svc.name, f"a DNS-1123 label of at most {MAX_NAME} characters")
    for field_name, value in (("namespace", svc.namespace), ("serviceAccount", svc.service_account)):
        if value is not None and (len(value) > 63 or not DNS_LABEL.match(value)):
            raise ConfigError(f"{key}.{field_name}", value, "a DNS-1123 label")
    if svc.ns in KUBERNETES_NAMESPACES:
        raise ConfigError(
            f"{key}.namespace",
            svc.ns,
            "a namespace of the service's own",
            f"{svc.ns!r} belongs to Kubernetes itself (the namespace defaults to the service's name)",
        )
    if svc.sa == "default":
        raise ConfigError(
            f"{key}.serviceAccount",
            svc.sa,
            "a dedicated ServiceAccount name (SM-DR11)",
            "the shared default account",
        )
    if not DIGEST_IMAGE.match(svc.image):
        raise ConfigError(
            f"{key}.image",
            svc.image,
            "an image pinned by digest: <registry>/<repository>@sha256:<64 hex>, all lower case, no tag",
            _image_problem(svc.image),
        )
    if not 1 <= svc.replicas <= 50:
        raise ConfigError(f"{key}.replicas", svc.replicas, "1 to 50")
    if svc.run_as_user < 1:
        raise ConfigError(f"{key}.runAsUser", svc.run_as_user, "a non-zero UID", "root")
    _check_ports(svc, key)
    if not 0 <= svc.retries <= 5:
        raise ConfigError(f"{key}.retries", svc.retries, "0 to 5 (bounded retries)")
    if not 0 < svc.per_try_timeout_seconds <= svc.timeout_seconds <= 300:
        raise ConfigError(
            f"{key}.timeoutSeconds",
            svc.timeout_seconds,
            "0 < perTryTimeoutSeconds <= timeoutSeconds <= 300",
        )
    for j, host in enumerate(svc.external_hosts):
        _check_external_host(host, f"{key}.externalHosts[{j}]")
    if svc.exposure is not None:
        _check_exposure(svc, f"{key}.exposure")


def _check_ports(svc: MicroserviceArgs, key: str) -> None:
    if not svc.ports:
        raise ConfigError(f"{key}.ports", [], "at least one port")
    seen_names: set[str] = set()
    seen_numbers: set[int] = set()
    for j, p in enumerate(svc.ports):
        pkey = f"{key}.ports[{j}]"
        if not DNS_LABEL.match(p.name) or len(p.name) > 15:
            raise ConfigError(f"{pkey}.name", p.name, "a DNS-1123 label of at most 15 characters")
        if not 1024 <= p.port <= 65535 or p.port in ISTIO_RESERVED_PORTS:
            raise ConfigError(f"{pkey}.port", p.port, "1024-65535, not one of Istio's ports 15000-15090")
        if p.name in seen_names or p.port in seen_numbers:
            raise ConfigError(pkey, f"{p.name}:{p.port}", "a port name and number not used by another port")
        seen_names.add(p.name)
        seen_numbers.add(p.port)


def _check_external_host(host: str, key: str) -> None:
    if "*" in host:
        raise ConfigError(key, host, "an exact host name such as api.stripe.com (SM-DR8)", "wildcard host")
    if not DNS_NAME.match(host) or host.endswith((".svc", ".local")):
        raise ConfigError(key, host, "a fully qualified external DNS name such as api.stripe.com")
    if all(part.isdigit() for part in host.split(".")):
        # An IP literal is no named destination, and 169.254.169.254 would open the metadata service.
        raise ConfigError(key, host, "a DNS name such as api.stripe.com", "an IP address, not a host name")


def _check_exposure(svc: MicroserviceArgs, key: str) -> None:
    exp = svc.exposure
    assert exp is not None
    if "*" in exp.host or not DNS_NAME.match(exp.host):
        raise ConfigError(f"{key}.host", exp.host, "an exact host name such as shop.example.com")
    if not exp.path.startswith("/") or "*" in exp.path or any(c.isspace() or ord(c) < 32 for c in exp.path):
        raise ConfigError(f"{key}.path", exp.path, "a path prefix starting with '/' and without wildcards")
    port = svc.exposed_port
    http_ports = [p.port for p in svc.ports if p.protocol in HTTP_PROTOCOLS]
    if port is None or port not in http_ports:
        raise ConfigError(f"{key}.port", exp.port, f"one of the service's HTTP ports {http_ports}")
    if exp.jwt is None and not exp.anonymous_insecure:
        raise ConfigError(
            f"{key}.jwt",
            None,
            "issuer and jwksUri (or anonymousInsecure: true to publish without end-user auth)",
            "an exposed service needs a JWT",
        )
    if exp.jwt is not None:
        if not exp.jwt.issuer:
            raise ConfigError(f"{key}.jwt.issuer", exp.jwt.issuer, "the issuer URL (the `iss` claim)")
        if not exp.jwt.jwks_uri.startswith("https://"):
            raise ConfigError(f"{key}.jwt.jwksUri", exp.jwt.jwks_uri, "an https:// URL")


def validate_services(
    services: Sequence[MicroserviceArgs], key: str = "services", mesh: MeshRef | None = None
) -> None:
    """Check declarations together: names, references, symmetric call edges, exposure hosts."""
    index: dict[str, int] = {}
    namespaces: dict[str, int] = {}
    for i, svc in enumerate(services):
        check_service(svc, f"{key}[{i}]")
        if svc.name in index:
            raise ConfigError(
                f"{key}[{i}].name",
                svc.name,
                "a name not used by another service",
                f"duplicate of {key}[{index[svc.name]}]",
            )
        if svc.ns in namespaces:
            raise ConfigError(
                f"{key}[{i}].namespace",
                svc.ns,
                "a namespace of its own",
                f"already used by {key}[{namespaces[svc.ns]}]",
            )
        index[svc.name] = i
        namespaces[svc.ns] = i
    known = ", ".join(sorted(index)) or "(none declared)"
    references = [
        (f"{key}[{i}].{field_name}[{j}]", svc, field_name, ref)
        for i, svc in enumerate(services)
        for field_name, refs in (("calls", svc.calls), ("callers", svc.callers))
        for j, ref in enumerate(refs)
    ]
    # Every name first, so a typo is reported as a typo rather than as a missing return edge.
    for rkey, svc, _, ref in references:
        if ref not in index:
            raise ConfigError(rkey, ref, f"one of the declared services: {known}", "no such service")
        if ref == svc.name:
            raise ConfigError(rkey, ref, "another service", "a service cannot list itself")
    for rkey, svc, field_name, ref in references:
        other = services[index[ref]]
        back, back_field = (other.callers, "callers") if field_name == "calls" else (other.calls, "calls")
        if svc.name not in back:
            raise ConfigError(
                rkey,
                ref,
                f"a service whose `{back_field}` lists {svc.name!r}",
                f"{ref!r} does not list {svc.name!r} in its {back_field} (both ends declare a call)",
            )
    if mesh is not None:
        check_platform_namespaces(services, key, {mesh.root_namespace: "mesh.rootNamespace",
                                                  mesh.ingress_namespace: "mesh.ingress.namespace"})
        for i, svc in enumerate(services):
            _check_against_mesh(svc, f"{key}[{i}]", mesh)
    routes: dict[tuple[str, str], int] = {}
    for i, svc in enumerate(services):
        if svc.exposure is not None:
            route = (svc.exposure.host, svc.exposure.path)
            if route in routes:
                raise ConfigError(
                    f"{key}[{i}].exposure",
                    f"{route[0]}{route[1]}",
                    "a host and path not published by another service",
                    f"already published by {key}[{routes[route]}]",
                )
            routes[route] = i


def _image_problem(image: str) -> str:
    """Why an image reference is not `<registry>/<repository>@sha256:<64 hex>`."""
    name, _, digest = image.partition("@")
    if not digest:
        return "not pinned by digest"
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        return "the digest is not sha256 and 64 lower-case hex digits"
    if ":" in name.rsplit("/", 1)[-1]:
        return "a tag next to the digest (the tag is ignored by the runtime and misleads readers)"
    if "/" not in name or not re.match(r"^[^/]*[.:][^/]*/", name):
        return "no registry host (a bare name means Docker Hub, implicitly)"
    if name != name.lower():
        return "upper-case letters (registries and repositories are lower case)"
    return "not a valid image reference"


def check_platform_namespaces(services: Sequence[MicroserviceArgs], key: str, owners: Mapping[str, str]) -> None:
    """No service shares a namespace with the platform (`owners`: namespace -> the setting that owns it).

    The platform's namespaces carry their own Pod Security level, NetworkPolicies and policy
    exemptions (a gateway's namespace is exempt from the registry check for its `image: auto`);
    a service placed there would inherit them, and its Namespace object would clash."""
    for i, svc in enumerate(services):
        if svc.ns in owners:
            raise ConfigError(
                f"{key}[{i}].namespace",
                svc.ns,
                "a namespace of the service's own, not one the platform uses",
                f"{svc.ns!r} is the platform's ({owners[svc.ns]}); the namespace defaults to the service's name",
            )


def _check_against_mesh(svc: MicroserviceArgs, key: str, mesh: MeshRef) -> None:
    if svc.exposure is not None and svc.exposure.host not in mesh.ingress_hosts:
        raise ConfigError(
            f"{key}.exposure.host",
            svc.exposure.host,
            f"one of the ingress gateway's hosts {list(mesh.ingress_hosts)} (mesh.ingress.hosts)",
        )
    if svc.revision is not None and svc.revision not in mesh.revisions:
        raise ConfigError(
            f"{key}.revision", svc.revision, f"an installed istiod revision {list(mesh.revisions)}"
        )


def call_graph(services: Sequence[MicroserviceArgs]) -> dict[str, Any]:
    """The allowed call graph as plain data (a stack output): in-mesh edges, ingress, egress."""
    edges = sorted({(svc.name, callee) for svc in services for callee in svc.calls})
    ingress = [
        {
            "host": svc.exposure.host,
            "path": svc.exposure.path,
            "to": svc.name,
            "jwt_issuer": svc.exposure.jwt.issuer if svc.exposure.jwt else None,
        }
        for svc in services
        if svc.exposure is not None
    ]
    egress = [{"from": svc.name, "to": f"{host}:443"} for svc in services for host in svc.external_hosts]
    return {
        "edges": [{"from": a, "to": b} for a, b in edges],
        "ingress": sorted(ingress, key=lambda e: (str(e["host"]), str(e["path"]))),
        "egress": sorted(egress, key=lambda e: (e["from"], e["to"])),
    }
