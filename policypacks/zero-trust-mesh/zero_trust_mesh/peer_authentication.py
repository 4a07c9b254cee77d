"""PeerAuthentication: mTLS is never relaxed, mesh-wide or per port (SM-DR6)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .meta import Config, resource_policy
from .walk import get, is_istio_kind, mapping

WEAK_MODES = ("PERMISSIVE", "DISABLE")


def _no_permissive(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    if not is_istio_kind(resource_type, "PeerAuthentication"):
        return
    mode = str(get(props, "spec", "mtls", "mode", default="UNSET")).upper()
    if mode in WEAK_MODES:
        yield (
            f"spec.mtls.mode is {mode}: plaintext is accepted. Set STRICT (or UNSET to inherit "
            "the mesh-wide STRICT)."
        )
    for port, setting in mapping(props, "spec", "portLevelMtls").items():
        port_mode = str(get(setting, "mode", default="UNSET")).upper()
        if port_mode in WEAK_MODES:
            yield f"spec.portLevelMtls.{port}.mode is {port_mode}: port {port} accepts plaintext. Set STRICT."


PEER_AUTHENTICATION_NO_PERMISSIVE = resource_policy(
    "peer-authentication-no-permissive",
    "PeerAuthentication never sets mTLS to PERMISSIVE or DISABLE, including per-port settings.",
    _no_permissive,
    severity=Severity.CRITICAL,
    control="SC-8",
    spec="SM-DR6",
    remediation=(
        "Set spec.mtls.mode and every spec.portLevelMtls.<port>.mode to STRICT, or remove them so the "
        "mesh-wide STRICT policy applies. Clients outside the mesh go through the ingress gateway."
    ),
)

POLICIES = [PEER_AUTHENTICATION_NO_PERMISSIVE]
