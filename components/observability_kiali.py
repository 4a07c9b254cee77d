"""Kiali (mesh topology): read-only, authenticated, reading Prometheus, Tempo and Grafana.

`view_only_mode` removes every write action from the UI and API, so Kiali cannot edit Istio
configuration even when a user's own RBAC would allow it. The `token` strategy makes users log in
with a Kubernetes token and shows them only what that token may read; `openid` delegates login
to an identity provider (the client secret is read from the `kiali` Secret, key `oidc-secret`).
`anonymous` is never used.
"""

from __future__ import annotations

from typing import Any

from components.automount import automount_reason
from components.observability_args import KIALI_RELEASE, KialiArgs, ObservabilityArgs
from components.observability_security import RUNTIME_DEFAULT, resources


def kiali_auth(kiali: KialiArgs) -> dict[str, Any]:
    auth: dict[str, Any] = {"strategy": kiali.auth_strategy}
    if kiali.auth_strategy == "openid":
        auth["openid"] = {
            "issuer_uri": kiali.openid_issuer_uri,
            "client_id": kiali.openid_client_id,
            "username_claim": "email",
            "scopes": ["openid", "profile", "email"],
        }
    return auth


def kiali_values(args: ObservabilityArgs) -> dict[str, Any]:
    values = _kiali_values(args)
    if args.kiali.signing_key_secret:
        # Kiali reads `secret:<name>:<key>` references; the chart then generates no random key
        # (which a client-side render would regenerate on every update).
        values["login_token"] = {"signing_key": f"secret:{args.kiali.signing_key_secret}:key"}
    return values


def _kiali_values(args: ObservabilityArgs) -> dict[str, Any]:
    return {
        "istio_namespace": args.mesh_root_namespace,
        "auth": kiali_auth(args.kiali),
        "deployment": {
            "instance_name": KIALI_RELEASE,
            "view_only_mode": True,
            "replicas": 1,
            "resources": resources("50m", "128Mi", "500m", "512Mi"),
            "pod_labels": {"sidecar.istio.io/inject": "false"},
            "pod_annotations": automount_reason("Kiali reads the mesh's workloads and Istio configuration"),
            "security_context": {
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
                "privileged": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": dict(RUNTIME_DEFAULT),
            },
        },
        "external_services": {
            "istio": {"root_namespace": args.mesh_root_namespace},
            "prometheus": {"url": args.prometheus_url},
            "tracing": {
                "enabled": True,
                "provider": "tempo",
                "internal_url": args.tempo_url,
                "use_grpc": False,
            },
            "grafana": {"enabled": True, "internal_url": args.grafana_url},
        },
    }
