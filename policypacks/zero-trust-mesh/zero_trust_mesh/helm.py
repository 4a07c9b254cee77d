"""Helm charts: pinned versions everywhere, and the istiod chart's values keep the mesh zero-trust.

The istiod checks read `values` of a `kubernetes:helm.sh/v4:Chart` or `kubernetes:helm.sh/v3:Release`
whose chart is istiod (by name, `repo/istiod`, an OCI URL or a local path). They accept the
charts' current layout (top-level keys) and the older `pilot.` one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .meta import Config, resource_policy
from .walk import HELM_CHART_TYPES, get, is_istiod_chart, istiod_setting, items, mapping

EXACT_SEMVER = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
LOCAL_CHART = ("./", "../", "/", "file://")
ISTIO_DEFAULT_CERT_TTL = "24h"  # the proxy's SECRET_TTL when unset
ISTIO_DEFAULT_MAX_CERT_TTL = "2160h"  # istiod's MAX_WORKLOAD_CERT_TTL when unset (90 days)


def _istiod_values(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return mapping(props, "values") if is_istiod_chart(resource_type, props) else None


def _pinned(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    if resource_type not in HELM_CHART_TYPES:
        return
    chart = str(get(props, "chart", default=""))
    version = get(props, "version")
    if not chart and version is None:
        # The Pulumi engine hands component resources (a v4 Chart is one) to packs without their
        # inputs, so under `pulumi preview` there is nothing to judge here; preflight passes the
        # program's inputs and checks them. A chart is never reported unpinned for lack of a view.
        return
    if version is None:
        if chart.startswith(LOCAL_CHART) or chart.endswith(".tgz"):
            return  # a chart in the repository is pinned by the commit
        yield f"chart {chart!r} has no version: the latest release would be installed. Pin an exact version."
    elif not EXACT_SEMVER.match(str(version)):
        yield f"chart {chart!r} version {version!r} is a range or tag: pin an exact version such as 1.30.4."


def _registry_only(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    values = _istiod_values(resource_type, props)
    if values is None:
        return
    mode = get(values, "meshConfig", "outboundTrafficPolicy", "mode", default="ALLOW_ANY")
    if str(mode) != "REGISTRY_ONLY":
        yield (
            f"values.meshConfig.outboundTrafficPolicy.mode is {mode}: proxies may call any host. "
            "Set REGISTRY_ONLY and declare external hosts as ServiceEntries."
        )


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns)")
_UNIT_HOURS = {
    "h": 1.0,
    "m": 1 / 60,
    "s": 1 / 3600,
    "ms": 1 / 3.6e6,
    "us": 1 / 3.6e9,
    "µs": 1 / 3.6e9,
    "ns": 1 / 3.6e12,
}


def duration_hours(text: str) -> float | None:
    """Hours in a Go duration (`12h`, `90m`, `1h30m`); None when it does not parse."""
    text = text.strip()
    if not text or _DURATION_PART.sub("", text):
        return None
    return sum(float(n) * _UNIT_HOURS[u] for n, u in _DURATION_PART.findall(text))


MAX_TTL = {
    "maxHours": {
        "type": "number",
        "default": 24,
        "description": "Longest workload certificate lifetime allowed, in hours (SM-DR13: preferably hours).",
    }
}


def _cert_ttl(resource_type: str, props: Mapping[str, Any], config: Config) -> Iterator[str]:
    values = _istiod_values(resource_type, props)
    if values is None:
        return
    limit = float(config["maxHours"])
    settings = {
        "values.meshConfig.defaultConfig.proxyMetadata.SECRET_TTL": (
            get(
                values,
                "meshConfig",
                "defaultConfig",
                "proxyMetadata",
                "SECRET_TTL",
                default=ISTIO_DEFAULT_CERT_TTL,
            )
        ),
        "values.env.MAX_WORKLOAD_CERT_TTL": istiod_setting(values, "env", "MAX_WORKLOAD_CERT_TTL")
        or ISTIO_DEFAULT_MAX_CERT_TTL,
    }
    for path, raw in settings.items():
        hours = duration_hours(str(raw))
        if hours is None:
            yield f"{path} is {raw!r}, not a duration such as 12h."
        elif hours > limit:
            yield f"{path} is {raw} ({hours:g}h): workload certificates must live at most {limit:g}h."


def _uses_enterprise_ca(values: Mapping[str, Any]) -> bool:
    env = mapping(istiod_setting(values, "env") or {})
    if str(env.get("ENABLE_CA_SERVER", "true")).lower() == "false" and get(values, "global", "caAddress"):
        return True  # an external CA (istio-csr, ...) signs; istiod's CA is off
    volumes = items(istiod_setting(values, "volumes") or [])
    mounted = {str(get(m, "name")) for m in items(istiod_setting(values, "volumeMounts") or [])}
    return any(
        get(v, "secret", "secretName") == "cacerts"
        and get(v, "secret", "optional") is False
        and str(get(v, "name")) in mounted
        for v in volumes
    )


def _enterprise_ca(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    values = _istiod_values(resource_type, props)
    if values is not None and not _uses_enterprise_ca(values):
        yield (
            "istiod has no enterprise CA: without a required `cacerts` Secret mount or an external CA "
            "(global.caAddress with env ENABLE_CA_SERVER=false) it generates a self-signed root."
        )


def _cni_enabled(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    values = _istiod_values(resource_type, props)
    if values is not None and istiod_setting(values, "cni", "enabled") is not True:
        yield (
            "values.cni.enabled is not true: every injected pod then needs a NET_ADMIN/NET_RAW "
            "istio-init container."
        )


def _hold_application(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    values = _istiod_values(resource_type, props)
    if values is None:
        return
    held = get(values, "meshConfig", "defaultConfig", "holdApplicationUntilProxyStarts")
    if held is None:
        held = get(values, "global", "proxy", "holdApplicationUntilProxyStarts")
    if held is not True:
        yield (
            "values.meshConfig.defaultConfig.holdApplicationUntilProxyStarts is not true: apps "
            "may start before their proxy."
        )


HELM_CHART_VERSION_PINNED = resource_policy(
    "helm-chart-version-pinned",
    "Every Helm chart or release pins an exact chart version (no range, no `latest`).",
    _pinned,
    severity=Severity.MEDIUM,
    control="CM-2",
    spec="C-3.3.3",
    remediation=(
        "Set `version` to an exact chart version (for example 1.30.4) and upgrade by changing it in review."
    ),
)

ISTIOD_REGISTRY_ONLY = resource_policy(
    "istiod-registry-only",
    "The istiod chart keeps meshConfig.outboundTrafficPolicy.mode REGISTRY_ONLY.",
    _registry_only,
    severity=Severity.HIGH,
    control="SC-7",
    spec="SM-DR8",
    remediation=(
        "Set values.meshConfig.outboundTrafficPolicy.mode: REGISTRY_ONLY; add a ServiceEntry per "
        "external host."
    ),
)

ISTIOD_WORKLOAD_CERT_TTL = resource_policy(
    "istiod-workload-cert-ttl",
    "Workload certificates live hours, not days: SECRET_TTL and MAX_WORKLOAD_CERT_TTL within the limit.",
    _cert_ttl,
    severity=Severity.MEDIUM,
    control="IA-5",
    spec="SM-DR13",
    remediation=(
        "Set values.meshConfig.defaultConfig.proxyMetadata.SECRET_TTL and values.env.MAX_WORKLOAD_CERT_TTL "
        "(and DEFAULT_WORKLOAD_CERT_TTL) to at most the configured number of hours, e.g. 12h."
    ),
    config=MAX_TTL,
)

ISTIOD_ENTERPRISE_CA = resource_policy(
    "istiod-enterprise-ca",
    "istiod signs with a CA rooted in the enterprise PKI and can never fall back to a self-signed root.",
    _enterprise_ca,
    severity=Severity.HIGH,
    control="SC-12",
    spec="SM-DR12",
    remediation=(
        "Either mount the `cacerts` Secret with optional: false (values.volumes/volumeMounts) holding an "
        "intermediate CA from the enterprise PKI, or use istio-csr: values.global.caAddress and env "
        "ENABLE_CA_SERVER: 'false'."
    ),
)

ISTIOD_CNI_ENABLED = resource_policy(
    "istiod-cni-enabled",
    "The mesh uses the Istio CNI agent, so application pods need no NET_ADMIN/NET_RAW init container.",
    _cni_enabled,
    severity=Severity.MEDIUM,
    control="AC-6",
    spec="C-4.4-3",
    remediation="Install the Istio cni chart and set values.cni.enabled: true on istiod.",
)

ISTIOD_HOLD_APPLICATION = resource_policy(
    "istiod-hold-application-until-proxy-starts",
    "Application containers start only once their proxy is ready.",
    _hold_application,
    severity=Severity.LOW,
    control="SC-24",
    spec="C-2.2-1",
    remediation="Set values.meshConfig.defaultConfig.holdApplicationUntilProxyStarts: true.",
    enforcement=EnforcementLevel.ADVISORY,
)

POLICIES = [
    HELM_CHART_VERSION_PINNED,
    ISTIOD_REGISTRY_ONLY,
    ISTIOD_WORKLOAD_CERT_TTL,
    ISTIOD_ENTERPRISE_CA,
    ISTIOD_CNI_ENABLED,
    ISTIOD_HOLD_APPLICATION,
]
