"""Mutation test: turn off each secure default of the mesh and the sample app, one at a time, and
check that the zero-trust-mesh pack reports exactly the matching policy.

Each mutation goes through the stack config (`mesh` / `services` sections, parsed by
components.mesh_config) where the config accepts it, i.e. through the named `...Insecure` option
or a declaration. Where the config refuses the insecure value outright (wildcard hosts, a TLS floor
below 1.2, a long certificate TTL, ...), the test asserts the refusal and then builds the same
mutation through the components' Python API, which does not re-validate, so the pack's policy is
exercised as well. The tracing hook is unset by default, so it has nothing to turn off. The
resources are the ones the components register under Pulumi mocks, fed to
the pack's real analyzer servicer (tests/packharness.py) the way preflight feeds them.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.errors import ConfigError
from components.mesh import ServiceMesh, ServiceMeshArgs
from components.mesh_config import parse_mesh, parse_services
from components.microservice import Microservice, MicroserviceArgs, deploy_services
from tests.mesh_mocks import build
from tests.packharness import Res, analyze, analyze_stack
from tests.policies.mesh_helpers import POLICIES

SAMPLE: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "docs" / "sample-app.yaml").read_text()
)


def findings_for(
    mesh_args: ServiceMeshArgs, services: list[MicroserviceArgs], validate: bool = True
) -> set[str]:
    """Policy names the pack reports (any level) over everything the mesh and services register."""

    def program() -> None:
        mesh = ServiceMesh("mesh", mesh_args)
        if validate:
            deploy_services("app", services, mesh)
        else:
            for svc in services:
                Microservice(f"app-{svc.name}", svc, mesh.ref, services, depends_on=[mesh])

    recorded = build(program).resources
    resources = [Res(r.type, r.inputs, name=r.name) for r in recorded]
    found = [f for r in resources for f in analyze(POLICIES, r)] + analyze_stack(POLICIES, resources)
    return {f.policy for f in found if "during preview" not in f.message}


def from_config(mutate: Callable[[dict[str, Any]], None]) -> tuple[ServiceMeshArgs, list[MicroserviceArgs]]:
    raw = copy.deepcopy(SAMPLE)
    mutate(raw)
    mesh_args = parse_mesh(raw["mesh"])
    return mesh_args, parse_services(raw["services"], mesh=mesh_args)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets one config key, e.g. `mesh.ingress.plaintextHttpInsecure`."""

    def mutate(raw: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node: Any = raw
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        node[leaf] = value

    return mutate


@dataclasses.dataclass(frozen=True)
class Mutation:
    default: str  # the secure default being turned off
    config: Callable[[dict[str, Any]], None]  # the change to the stack config
    policies: frozenset[str]  # what the pack must report
    refused_key: str | None = None  # the config key that refuses it outright, if any
    # Python-API equivalent for defaults the config refuses: (mesh args, services) -> mutated pair
    python: (
        Callable[[ServiceMeshArgs, list[MicroserviceArgs]], tuple[ServiceMeshArgs, list[MicroserviceArgs]]]
        | None
    ) = None


def _ingress(**kw: Any) -> Callable[[ServiceMeshArgs, list[MicroserviceArgs]], Any]:
    return lambda m, s: (dataclasses.replace(m, ingress=dataclasses.replace(m.ingress, **kw)), s)


def _mesh(**kw: Any) -> Callable[[ServiceMeshArgs, list[MicroserviceArgs]], Any]:
    return lambda m, s: (dataclasses.replace(m, **kw), s)


def _service(index: int, **kw: Any) -> Callable[[ServiceMeshArgs, list[MicroserviceArgs]], Any]:
    return lambda m, s: (m, [dataclasses.replace(x, **kw) if i == index else x for i, x in enumerate(s)])


MUTATIONS = [
    Mutation(
        "mesh-wide mTLS STRICT",
        _set("mesh.mtlsModeInsecure", "PERMISSIVE"),
        frozenset({"peer-authentication-no-permissive", "mesh-strict-mtls-exists"}),
    ),
    Mutation(
        "mesh-wide default deny",
        _set("mesh.defaultDenyDisabledInsecure", True),
        frozenset({"mesh-default-deny-exists"}),
    ),
    Mutation(
        "outboundTrafficPolicy REGISTRY_ONLY",
        _set("mesh.allowAnyOutboundInsecure", True),
        frozenset({"istiod-registry-only"}),
    ),
    Mutation(
        "JSON access logs (Telemetry API)",
        _set("mesh.accessLoggingDisabledInsecure", True),
        frozenset({"telemetry-access-logging-not-disabled"}),
    ),
    Mutation(
        "holdApplicationUntilProxyStarts",
        _set("mesh.holdApplicationUntilProxyStarts", False),
        frozenset({"istiod-hold-application-until-proxy-starts"}),
    ),
    Mutation(
        "workload certificate TTL <= 24h",
        _set("mesh.workloadCertTtlHours", 72),
        frozenset({"istiod-workload-cert-ttl"}),
        refused_key="mesh.workloadCertTtlHours",
    ),
    Mutation(
        "enterprise CA (no self-signed root)",
        _set("mesh.selfSignedCaInsecure", True),
        frozenset({"istiod-enterprise-ca"}),
    ),
    Mutation(
        "CNI (no NET_ADMIN init container)",
        _set("mesh.cniDisabledInsecure", True),
        frozenset({"istiod-cni-enabled"}),
    ),
    Mutation(
        "gateway explicit hosts",
        _set("mesh.ingress.hosts", ["*"]),
        frozenset({"gateway-no-wildcard-hosts"}),
        refused_key="mesh.ingress.hosts[0]",
        python=_ingress(hosts=["*"]),
    ),
    Mutation(
        "gateway TLS from credentialName",
        _set("mesh.ingress.credentialName", ""),
        frozenset({"gateway-tls-credential-name"}),
        refused_key="mesh.ingress.credentialName",
        python=_ingress(credential_name=""),
    ),
    Mutation(
        "gateway minimum TLS 1.2",
        _set("mesh.ingress.minTlsVersion", "TLSV1_0"),
        frozenset({"gateway-tls-min-version"}),
        refused_key="mesh.ingress.minTlsVersion",
        python=_ingress(min_tls_version="TLSV1_0"),
    ),
    Mutation(
        "gateway HTTP->HTTPS redirect",
        _set("mesh.ingress.plaintextHttpInsecure", True),
        frozenset({"gateway-https-redirect"}),
    ),
    Mutation(
        "pinned chart version",
        _set("mesh.istioVersion", "1.30"),
        frozenset({"helm-chart-version-pinned"}),
        refused_key="mesh.istioVersion",
    ),
    Mutation(
        "sidecar injection in app namespaces",
        _set("services.1.injectionDisabledInsecure", True),
        frozenset({"pod-injection-not-disabled"}),
    ),
    Mutation(
        "JWT required at the gateway",
        lambda raw: raw["services"][0]["exposure"].update(jwt=None, anonymousInsecure=True),
        frozenset({"authorization-allow-requires-from"}),
    ),
    Mutation(
        "exact external hosts (ServiceEntry)",
        _set("services.2.externalHosts", ["*.stripe.com"]),
        frozenset({"service-entry-no-wildcard-hosts"}),
        refused_key="services[2].externalHosts[0]",
        python=_service(2, external_hosts=["*.stripe.com"]),
    ),
    Mutation(
        "dedicated ServiceAccount",
        _set("services.1.serviceAccount", "default"),
        frozenset({"workload-dedicated-service-account"}),
        refused_key="services[1].serviceAccount",
        python=_service(1, service_account="default"),
    ),
]


def test_the_secure_sample_app_has_no_finding_at_all() -> None:
    assert findings_for(*from_config(lambda raw: None)) == set()


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.default)
def test_each_default_turned_off_is_reported(mutation: Mutation) -> None:
    if mutation.refused_key is None:
        assert findings_for(*from_config(mutation.config)) == mutation.policies
        return
    with pytest.raises(ConfigError) as err:
        from_config(mutation.config)
    assert err.value.key == mutation.refused_key
    if mutation.python is not None:
        mesh_args, services = mutation.python(*from_config(lambda raw: None))
        assert findings_for(mesh_args, services, validate=False) == mutation.policies


def test_refused_even_through_the_python_api() -> None:
    # These two never reach the pack: the component itself refuses them before registering.
    base_mesh, services = from_config(lambda raw: None)
    with pytest.raises(ConfigError):
        findings_for(dataclasses.replace(base_mesh, workload_cert_ttl_hours=72), services)
    with pytest.raises(ConfigError):
        findings_for(dataclasses.replace(base_mesh, istio_version="1.30"), services)


def test_mutation_count() -> None:
    caught_by_pack = [m for m in MUTATIONS if m.refused_key is None or m.python is not None]
    refused_only = [m for m in MUTATIONS if m.refused_key is not None and m.python is None]
    print(
        f"mesh mutations: {len(MUTATIONS)} defaults, {len(caught_by_pack)} caught by the pack, "
        f"{len([m for m in MUTATIONS if m.refused_key])} also refused by config, "
        f"{len(refused_only)} refused before any resource exists"
    )
    assert len(MUTATIONS) == 17 and len(caught_by_pack) == 15 and len(refused_only) == 2
