"""Strict parsing of the `mesh` and `services` stack config sections into typed Args.

Keys are the Args field names in camelCase (`externalHosts` for `external_hosts`), like the rest
of the stack file. Unknown keys, wrong types and bad values each raise
ConfigError naming the key path (`services[2].ports[0].port`), the value and what is allowed.

    mesh_args = parse_mesh(config.get_object("mesh") or {})
    services = parse_services(config.get_object("services") or [], mesh=mesh_args)
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, Union

from components.errors import ConfigError
from components.mesh_args import MeshRef, ServiceMeshArgs, check_mesh_args
from components.mesh_charts import ISTIO_CHARTS, is_exact_version
from components.microservice_args import MicroserviceArgs
from components.service_graph import DNS_LABEL, DNS_NAME, validate_services

T = TypeVar("T")

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
_SERVICE_FQDN = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+\.svc(\.[a-z0-9.-]+)?\Z")


def parse_mesh(raw: object, key: str = "mesh") -> ServiceMeshArgs:
    """The `mesh` section: ServiceMeshArgs with every value checked."""
    args = _parse_dataclass(ServiceMeshArgs, {} if raw is None else raw, key)
    _check_mesh(args, key)
    return args


def parse_services(
    raw: object, key: str = "services", mesh: ServiceMeshArgs | MeshRef | None = None
) -> list[MicroserviceArgs]:
    """The `services` section: a list of declarations, each checked, then checked together.

    With `mesh`, exposure hosts and revisions are also checked against the mesh.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError(key, raw, "a list of service declarations", f"expected a list, got {_kind(raw)}")
    services = [_parse_dataclass(MicroserviceArgs, item, f"{key}[{i}]") for i, item in enumerate(raw)]
    ref = MeshRef.from_args(mesh) if isinstance(mesh, ServiceMeshArgs) else mesh
    validate_services(services, key, ref)
    return services


# -- generic strict conversion -------------------------------------------------------------------


def camel_case(field_name: str) -> str:
    """Config keys are camelCase like the rest of the stack file: `external_hosts` -> `externalHosts`."""
    head, *rest = field_name.split("_")
    return head + "".join(part.title() for part in rest)


def _parse_dataclass(cls: type[T], raw: object, key: str) -> T:
    assert dataclasses.is_dataclass(cls)
    fields = {camel_case(f.name): f for f in dataclasses.fields(cls)}
    allowed = ", ".join(fields)
    if not isinstance(raw, Mapping):
        raise ConfigError(
            key, raw, f"an object with the keys {allowed}", f"expected an object, got {_kind(raw)}"
        )
    for k in raw:
        if k not in fields:
            close = difflib.get_close_matches(str(k), fields, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{key}.{k}", raw[k], f"the keys {allowed}", f"unknown key{hint}")
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{key}.{name}", None, _describe(hints[f.name]), "missing required key")
            continue
        values[f.name] = _parse_value(hints[f.name], raw[name], f"{key}.{name}")
    return cls(**values)


def _kind(value: object) -> str:
    """The YAML name of a decoded value's type, for messages."""
    for typ, text in ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string")):
        if isinstance(value, typ):
            return text
    if value is None:
        return "null"
    return (
        "a list"
        if isinstance(value, list)
        else "an object"
        if isinstance(value, Mapping)
        else type(value).__name__
    )


def _parse_value(hint: Any, value: object, key: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _parse_value(inner, value, key)
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(key, value, "one of " + ", ".join(str(c) for c in choices))
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(
                key, value, f"a list of {_describe(typing.get_args(hint)[0])}", f"got {_kind(value)}"
            )
        (item,) = typing.get_args(hint)
        return [_parse_value(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(key, value, "an object", f"got {_kind(value)}")
        _, item = typing.get_args(hint)
        parsed: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ConfigError(key, k, "string keys", "wrong type")
            parsed[k] = _parse_value(item, v, f"{key}.{k}")
        return parsed
    if dataclasses.is_dataclass(hint):
        return _parse_dataclass(hint, value, key)  # type: ignore[arg-type]
    return _parse_scalar(hint, value, key)


def _parse_scalar(hint: Any, value: object, key: str) -> Any:
    # bool is an int in Python; YAML `true` must never pass as a port number or a count.
    if hint is bool and isinstance(value, bool):
        return value
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, str):
        return value
    raise ConfigError(key, value, _describe(hint), f"got {_kind(value)}")


def _describe(hint: Any) -> str:
    if hint in _TYPE_NAMES:
        return _TYPE_NAMES[hint]
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(str(c) for c in typing.get_args(hint))
    if origin is list:
        return f"a list of {_describe(typing.get_args(hint)[0])}"
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(o) for o in typing.get_args(hint) if o is not type(None))
    if dataclasses.is_dataclass(hint):
        return "an object with the keys " + ", ".join(camel_case(f.name) for f in dataclasses.fields(hint))
    return "an object"


# -- value checks of the mesh section -------------------------------------------------------------


def _check_mesh(args: ServiceMeshArgs, key: str) -> None:
    for field_name in ("istio_version", "canary_version"):
        version = getattr(args, field_name)
        if version is not None and not is_exact_version(version):
            raise ConfigError(
                f"{key}.{camel_case(field_name)}",
                version,
                "an exact chart version such as 1.30.4",
                "not pinned",
            )
    namespaces = {
        "rootNamespace": args.root_namespace,
        "cniNamespace": args.cni_namespace,
        "monitoringNamespace": args.monitoring_namespace,
        "ingress.namespace": args.ingress.namespace,
        "egress.namespace": args.egress.namespace,
    }
    for name, value in namespaces.items():
        if len(value) > 63 or not DNS_LABEL.match(value):
            raise ConfigError(f"{key}.{name}", value, "a DNS-1123 label (a namespace name)")
    for name, value in (("trustDomain", args.trust_domain), ("clusterDomain", args.cluster_domain)):
        if not DNS_NAME.match(value):
            raise ConfigError(f"{key}.{name}", value, "a DNS name such as cluster.local")
    check_mesh_args(args, key)
    if not 1 <= args.istiod_replicas <= 10:
        raise ConfigError(f"{key}.istiodReplicas", args.istiod_replicas, "1 to 10")
    _check_ingress(args, f"{key}.ingress")
    if not 1 <= args.egress.replicas <= 20:
        raise ConfigError(f"{key}.egress.replicas", args.egress.replicas, "1 to 20")
    if args.tracing is not None:
        _check_tracing(args, f"{key}.tracing")
    for role, override in args.chart_sources.items():
        if role not in ISTIO_CHARTS:
            raise ConfigError(
                f"{key}.chartSources.{role}", role, "one of " + ", ".join(ISTIO_CHARTS), "unknown chart"
            )
        if override.chart is not None and not override.chart.strip():
            raise ConfigError(
                f"{key}.chartSources.{role}.chart", override.chart, "a chart name, oci:// URL or path"
            )
        if override.repository is not None and not override.repository.startswith(("https://", "oci://")):
            raise ConfigError(
                f"{key}.chartSources.{role}.repository", override.repository, "an https:// or oci:// URL"
            )
    if args.ca.mode == "istio-csr" and ":" not in args.ca.istio_csr_address:
        raise ConfigError(f"{key}.ca.istioCsrAddress", args.ca.istio_csr_address, "host:port of istio-csr")


def _check_ingress(args: ServiceMeshArgs, key: str) -> None:
    ingress = args.ingress
    for i, host in enumerate(ingress.hosts):
        if "*" in host:
            raise ConfigError(
                f"{key}.hosts[{i}]", host, "an exact host name such as shop.example.com", "wildcard host"
            )
        if not DNS_NAME.match(host):
            raise ConfigError(f"{key}.hosts[{i}]", host, "a DNS host name such as shop.example.com")
    if len(set(ingress.hosts)) != len(ingress.hosts):
        raise ConfigError(f"{key}.hosts", ingress.hosts, "each host once")
    if not DNS_NAME.match(ingress.credential_name) and not DNS_LABEL.match(ingress.credential_name):
        raise ConfigError(f"{key}.credentialName", ingress.credential_name, "the name of a TLS Secret")
    if not DNS_LABEL.match(ingress.name):
        raise ConfigError(f"{key}.name", ingress.name, "a DNS-1123 label")
    if not 1 <= ingress.replicas <= 20:
        raise ConfigError(f"{key}.replicas", ingress.replicas, "1 to 20")


def _check_tracing(args: ServiceMeshArgs, key: str) -> None:
    tracing = args.tracing
    assert tracing is not None
    if not _SERVICE_FQDN.match(tracing.service):
        raise ConfigError(
            f"{key}.service",
            tracing.service,
            "a Service FQDN such as otel-collector.monitoring.svc.cluster.local",
        )
    if not 1 <= tracing.port <= 65535:
        raise ConfigError(f"{key}.port", tracing.port, "1 to 65535")
    if not 0.0 <= tracing.sampling_percent <= 100.0:
        raise ConfigError(f"{key}.samplingPercent", tracing.sampling_percent, "0 to 100")
    if not DNS_LABEL.match(tracing.provider_name):
        raise ConfigError(f"{key}.providerName", tracing.provider_name, "a DNS-1123 label")


__all__ = ["parse_mesh", "parse_services"]
