"""helm-chart-version-pinned and the istiod chart values policies."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.policies.mesh_helpers import chart, messages, secure_istiod_values

PINNED = "helm-chart-version-pinned"
REGISTRY = "istiod-registry-only"
TTL = "istiod-workload-cert-ttl"
CA = "istiod-enterprise-ca"
CNI = "istiod-cni-enabled"
HOLD = "istiod-hold-application-until-proxy-starts"
ISTIOD_POLICIES = (REGISTRY, TTL, CA, CNI, HOLD)


def istiod(values: dict[str, Any], **kwargs: Any) -> Any:
    return chart("istiod", values, **kwargs)


def test_secure_istiod_passes_everything() -> None:
    res = istiod(secure_istiod_values())
    assert {p: messages(p, res) for p in (PINNED, *ISTIOD_POLICIES)} == {
        p: [] for p in (PINNED, *ISTIOD_POLICIES)
    }


@pytest.mark.parametrize(
    "name",
    ["istiod", "istio/istiod", "oci://registry.example.com/istio/istiod", "./charts/istiod-1.30.4.tgz"],
)
def test_istiod_recognised_by_any_chart_reference(name: str) -> None:
    assert len(messages(REGISTRY, chart(name, {}))) == 1


def test_other_charts_are_not_istiod() -> None:
    assert messages(REGISTRY, chart("gateway", {})) == []


def test_pinned_versions() -> None:
    assert messages(PINNED, chart("base", version="1.30.4")) == []
    assert messages(PINNED, chart("base", version="1.30.4", v3=True)) == []
    assert messages(PINNED, chart("./charts/base", version=None)) == []


@pytest.mark.parametrize("version", ["~1.30", ">=1.30.0", "1.30.x", "latest", "^1.30.4"])
def test_unpinned_versions_fail(version: str) -> None:
    assert messages(PINNED, chart("base", version=version)) == [
        f"chart 'base' version {version!r} is a range or tag: pin an exact version such as 1.30.4."
    ]


def test_missing_version_fails() -> None:
    assert messages(PINNED, chart("base", version=None, v3=True)) == [
        "chart 'base' has no version: the latest release would be installed. Pin an exact version."
    ]


def test_allow_any_fails_and_missing_means_allow_any() -> None:
    values = secure_istiod_values()
    values["meshConfig"]["outboundTrafficPolicy"]["mode"] = "ALLOW_ANY"
    assert len(messages(REGISTRY, istiod(values))) == 1
    del values["meshConfig"]["outboundTrafficPolicy"]
    assert messages(REGISTRY, istiod(values)) == [
        "values.meshConfig.outboundTrafficPolicy.mode is ALLOW_ANY: proxies may call any host. "
        "Set REGISTRY_ONLY and declare external hosts as ServiceEntries."
    ]


def test_registry_only_through_v3_release() -> None:
    assert messages(REGISTRY, chart("istiod", secure_istiod_values(), v3=True)) == []


def test_cert_ttl_too_long_fails() -> None:
    values = secure_istiod_values()
    values["meshConfig"]["defaultConfig"]["proxyMetadata"]["SECRET_TTL"] = "48h"
    assert messages(TTL, istiod(values)) == [
        "values.meshConfig.defaultConfig.proxyMetadata.SECRET_TTL is 48h (48h): workload certificates must "
        "live at most 24h."
    ]


def test_cert_ttl_missing_max_is_90_days() -> None:
    values = secure_istiod_values()
    del values["env"]["MAX_WORKLOAD_CERT_TTL"]
    found = messages(TTL, istiod(values))
    assert found == [
        "values.env.MAX_WORKLOAD_CERT_TTL is 2160h (2160h): workload certificates must live at most 24h."
    ]


def test_cert_ttl_config_and_durations() -> None:
    values = secure_istiod_values()
    values["env"]["MAX_WORKLOAD_CERT_TTL"] = "1h30m"
    values["meshConfig"]["defaultConfig"]["proxyMetadata"]["SECRET_TTL"] = "90m"
    assert messages(TTL, istiod(values), {"maxHours": 2}) == []
    assert len(messages(TTL, istiod(values), {"maxHours": 1})) == 2
    values["env"]["MAX_WORKLOAD_CERT_TTL"] = "twelve hours"
    assert "not a duration" in messages(TTL, istiod(values))[0]


def test_old_pilot_layout_is_read() -> None:
    values = secure_istiod_values()
    values["pilot"] = {"env": values.pop("env"), "cni": values.pop("cni")}
    assert messages(TTL, istiod(values)) == messages(CNI, istiod(values)) == []


def test_optional_cacerts_is_not_an_enterprise_ca() -> None:
    values = secure_istiod_values()
    values["volumes"][0]["secret"]["optional"] = True
    assert len(messages(CA, istiod(values))) == 1
    del values["volumes"]
    assert messages(CA, istiod(values))[0].startswith("istiod has no enterprise CA")


def test_istio_csr_is_an_enterprise_ca() -> None:
    values = {k: v for k, v in secure_istiod_values().items() if k not in ("volumes", "volumeMounts")}
    values["env"] = {**values["env"], "ENABLE_CA_SERVER": "false"}
    values["global"] = {"caAddress": "cert-manager-istio-csr.cert-manager.svc:443"}
    assert messages(CA, istiod(values)) == []
    half = copy.deepcopy(values)
    del half["global"]
    assert len(messages(CA, istiod(half))) == 1


def test_cni_off_fails() -> None:
    values = secure_istiod_values()
    values["cni"]["enabled"] = False
    assert len(messages(CNI, istiod(values))) == 1


def test_hold_application_is_advisory() -> None:
    from tests.packharness import analyze, violations
    from tests.policies.mesh_helpers import BY_NAME

    values = secure_istiod_values()
    values["meshConfig"]["defaultConfig"]["holdApplicationUntilProxyStarts"] = False
    found = violations(analyze(BY_NAME[HOLD], istiod(values)), HOLD)
    assert [f.level for f in found] == ["advisory"]
    values["meshConfig"]["defaultConfig"].pop("holdApplicationUntilProxyStarts")
    values["global"] = {"proxy": {"holdApplicationUntilProxyStarts": True}}
    assert messages(HOLD, istiod(values)) == []
