"""aws-baseline: EKS cluster policies, through the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze, violations

add_pack_to_path("aws-baseline")
from aws_baseline import eks  # noqa: E402

CLUSTER = "aws:eks/cluster:Cluster"

GOOD: dict[str, Any] = {
    "roleArn": "arn:aws:iam::111122223333:role/eks",
    "version": "1.33",
    "vpcConfig": {"subnetIds": ["subnet-a"], "endpointPrivateAccess": True, "endpointPublicAccess": False},
    "encryptionConfig": {
        "provider": {"keyArn": "arn:aws:kms:eu-west-1:111122223333:key/abc"},
        "resources": ["secrets"],
    },
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
}


def run(props: dict[str, Any], config: dict[str, Any] | None = None) -> list[Finding]:
    return analyze(eks.POLICIES, Res(CLUSTER, props, name="platform"), config)


def messages(props: dict[str, Any], policy: str, config: dict[str, Any] | None = None) -> list[str]:
    return [f.message for f in violations(run(props, config), policy)]


def with_(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def test_secure_cluster_passes_every_eks_policy() -> None:
    assert run(GOOD) == []


def test_other_resource_types_are_ignored() -> None:
    assert analyze(eks.POLICIES, Res("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"})) == []


# eks-endpoint-restricted


def test_public_endpoint_restricted_to_trusted_cidrs_passes() -> None:
    vpc = {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24", "2001:db8::/32"]}
    assert messages(with_(vpcConfig=vpc), "eks-endpoint-restricted") == []


def test_public_endpoint_open_to_the_world_fails_with_field_path() -> None:
    vpc = {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24", "0.0.0.0/0"]}
    [finding] = violations(run(with_(vpcConfig=vpc)), "eks-endpoint-restricted")
    assert "vpcConfig.publicAccessCidrs[1] is 0.0.0.0/0" in finding.message
    assert finding.level == "mandatory"


def test_public_endpoint_open_to_all_ipv6_fails() -> None:
    vpc = {"endpointPublicAccess": True, "publicAccessCidrs": ["::/0"]}
    assert any("[0] is ::/0" in m for m in messages(with_(vpcConfig=vpc), "eks-endpoint-restricted"))


def test_world_split_in_halves_is_still_the_world() -> None:
    vpc = {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]}
    assert len(messages(with_(vpcConfig=vpc), "eks-endpoint-restricted")) == 2


def test_public_endpoint_without_cidrs_means_0_0_0_0_and_fails() -> None:
    [message] = messages(with_(vpcConfig={"endpointPublicAccess": True}), "eks-endpoint-restricted")
    assert "publicAccessCidrs is empty" in message
    assert "0.0.0.0/0" in message


def test_missing_endpoint_settings_default_to_public_and_fail() -> None:
    [message] = messages(with_(vpcConfig={"subnetIds": ["subnet-a"]}), "eks-endpoint-restricted")
    assert "unset (AWS default: true)" in message


def test_unknown_public_cidr_is_reported_as_not_runnable_during_preview() -> None:
    vpc = {"endpointPublicAccess": True, "publicAccessCidrs": [UNKNOWN]}
    findings = run(with_(vpcConfig=vpc))
    assert violations(findings, "eks-endpoint-restricted") == []
    [notice] = [f for f in findings if f.policy == "eks-endpoint-restricted"]
    assert "during preview" in notice.message
    assert notice.level == "advisory"


# eks-secrets-encrypted


def test_missing_encryption_config_fails() -> None:
    props = {k: v for k, v in GOOD.items() if k != "encryptionConfig"}
    [message] = messages(props, "eks-secrets-encrypted")
    assert "encryptionConfig is missing" in message


def test_encryption_without_secrets_resource_fails() -> None:
    enc = {"provider": {"keyArn": "arn:aws:kms:eu-west-1:1:key/k"}, "resources": []}
    [message] = messages(with_(encryptionConfig=enc), "eks-secrets-encrypted")
    assert 'does not contain "secrets"' in message


def test_encryption_without_key_arn_fails() -> None:
    [message] = messages(with_(encryptionConfig={"resources": ["secrets"]}), "eks-secrets-encrypted")
    assert "encryptionConfig.provider.keyArn is missing" in message


def test_key_arn_unknown_during_preview_counts_as_set() -> None:
    enc = {"provider": {"keyArn": UNKNOWN}, "resources": ["secrets"]}
    assert [f for f in run(with_(encryptionConfig=enc)) if f.policy == "eks-secrets-encrypted"] == []


def test_unknown_resources_list_is_reported_as_not_runnable() -> None:
    enc = {"provider": {"keyArn": "arn:aws:kms:eu-west-1:1:key/k"}, "resources": UNKNOWN}
    findings = run(with_(encryptionConfig=enc))
    assert violations(findings, "eks-secrets-encrypted") == []
    assert [f.level for f in findings if f.policy == "eks-secrets-encrypted"] == ["advisory"]


# eks-control-plane-logs


def test_partial_logs_name_the_missing_types() -> None:
    [message] = messages(with_(enabledClusterLogTypes=["api", "audit"]), "eks-control-plane-logs")
    assert "missing authenticator, controllerManager, scheduler" in message


def test_no_logs_fails() -> None:
    props = {k: v for k, v in GOOD.items() if k != "enabledClusterLogTypes"}
    [message] = messages(props, "eks-control-plane-logs")
    assert "missing api, audit, authenticator, controllerManager, scheduler" in message


# eks-access-entries / eks-access-entries-only


def test_config_map_mode_fails_and_api_and_config_map_is_only_advisory() -> None:
    config_map = run(with_(accessConfig={"authenticationMode": "CONFIG_MAP"}))
    assert [f.level for f in violations(config_map, "eks-access-entries")] == ["mandatory"]

    both = run(
        with_(
            accessConfig={
                "authenticationMode": "API_AND_CONFIG_MAP",
                "bootstrapClusterCreatorAdminPermissions": False,
            }
        )
    )
    assert violations(both, "eks-access-entries") == []
    [advice] = violations(both, "eks-access-entries-only")
    assert advice.level == "advisory"
    assert "API_AND_CONFIG_MAP" in advice.message


def test_missing_access_config_is_config_map_and_creator_admin() -> None:
    props = {k: v for k, v in GOOD.items() if k != "accessConfig"}
    findings = run(props)
    [mode] = violations(findings, "eks-access-entries")
    assert "unset (AWS default: CONFIG_MAP)" in mode.message
    [admin] = violations(findings, "eks-no-creator-admin")
    assert "unset (AWS default: true)" in admin.message


def test_api_mode_passes_both_access_policies() -> None:
    findings = run(GOOD)
    assert violations(findings, "eks-access-entries") == []
    assert violations(findings, "eks-access-entries-only") == []


# eks-no-creator-admin


def test_creator_admin_true_fails() -> None:
    access = {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    [message] = messages(with_(accessConfig=access), "eks-no-creator-admin")
    assert "bootstrapClusterCreatorAdminPermissions is true" in message


# eks-supported-version


@pytest.mark.parametrize("version", ["1.32", "1.33", "1.40", "1.100"])
def test_supported_versions_pass(version: str) -> None:
    assert messages(with_(version=version), "eks-supported-version") == []


@pytest.mark.parametrize("version", ["1.31", "1.9", "1.29"])
def test_old_versions_fail_compared_numerically(version: str) -> None:
    [message] = messages(with_(version=version), "eks-supported-version")
    assert f"version is {version}, older than the minimum supported 1.32" in message


def test_unparseable_version_fails() -> None:
    [message] = messages(with_(version="latest"), "eks-supported-version")
    assert "'latest'" in message


def test_missing_version_passes_because_eks_picks_a_current_one() -> None:
    props = {k: v for k, v in GOOD.items() if k != "version"}
    assert messages(props, "eks-supported-version") == []


def test_raised_minimum_version_makes_a_passing_version_fail() -> None:
    config = {"eks-supported-version": {"minimumVersion": "1.34"}}
    assert messages(GOOD, "eks-supported-version") == []
    [message] = messages(GOOD, "eks-supported-version", config)
    assert "older than the minimum supported 1.34" in message


def test_invalid_minimum_version_config_fails_loudly() -> None:
    with pytest.raises(ValueError, match=r"eks-supported-version.*minimumVersion.*1\.3"):
        run(GOOD, {"eks-supported-version": {"minimumVersion": 1.3}})


def test_unknown_config_key_fails_loudly() -> None:
    with pytest.raises(ValueError, match="no config key 'minVersion'"):
        run(GOOD, {"eks-supported-version": {"minVersion": "1.33"}})


def test_disabled_policy_reports_nothing() -> None:
    props = with_(vpcConfig={"endpointPublicAccess": True})
    assert violations(run(props, {"eks-endpoint-restricted": "disabled"}), "eks-endpoint-restricted") == []
