"""aws-baseline: node group and launch template policies (IMDS, disks, SSH)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.packharness import UNKNOWN, Finding, Res, add_pack_to_path, analyze, violations

add_pack_to_path("aws-baseline")
from aws_baseline import nodes  # noqa: E402

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"

GOOD_TEMPLATE: dict[str, Any] = {
    "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
    "blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeType": "gp3", "volumeSize": 50}}
    ],
}
GOOD_NODE_GROUP: dict[str, Any] = {
    "clusterName": "platform",
    "nodeRoleArn": "arn:aws:iam::111122223333:role/nodes",
    "subnetIds": ["subnet-a"],
    "scalingConfig": {"desiredSize": 2, "maxSize": 3, "minSize": 1},
    "launchTemplate": {"id": "lt-0123", "version": "1"},
}


def run(type_: str, props: dict[str, Any]) -> list[Finding]:
    return analyze(nodes.POLICIES, Res(type_, props, name="workers"))


def messages(type_: str, props: dict[str, Any], policy: str) -> list[str]:
    return [f.message for f in violations(run(type_, props), policy)]


def template(**changes: Any) -> dict[str, Any]:
    return {**GOOD_TEMPLATE, **changes}


def test_secure_launch_template_and_node_group_pass() -> None:
    assert run(LAUNCH_TEMPLATE, GOOD_TEMPLATE) == []
    assert run(NODE_GROUP, GOOD_NODE_GROUP) == []


# nodes-imdsv2-required


def test_imdsv1_allowed_fails() -> None:
    options = {"httpTokens": "optional", "httpPutResponseHopLimit": 1}
    [message] = messages(LAUNCH_TEMPLATE, template(metadataOptions=options), "nodes-imdsv2-required")
    assert "metadataOptions.httpTokens is 'optional'" in message


def test_hop_limit_two_fails() -> None:
    options = {"httpTokens": "required", "httpPutResponseHopLimit": 2}
    [message] = messages(LAUNCH_TEMPLATE, template(metadataOptions=options), "nodes-imdsv2-required")
    assert "metadataOptions.httpPutResponseHopLimit is 2; set it to 1" in message


def test_missing_metadata_options_fail_on_both_fields() -> None:
    props = {k: v for k, v in GOOD_TEMPLATE.items() if k != "metadataOptions"}
    found = messages(LAUNCH_TEMPLATE, props, "nodes-imdsv2-required")
    assert len(found) == 2
    assert "httpTokens is unset (IMDSv1 allowed)" in found[0]
    assert "httpPutResponseHopLimit is unset" in found[1]


def test_disabled_metadata_endpoint_passes() -> None:
    props = template(metadataOptions={"httpEndpoint": "disabled"})
    assert messages(LAUNCH_TEMPLATE, props, "nodes-imdsv2-required") == []


def test_node_group_without_launch_template_fails_imds_and_disk_checks() -> None:
    props = {k: v for k, v in GOOD_NODE_GROUP.items() if k != "launchTemplate"}
    findings = run(NODE_GROUP, props)
    [imds] = violations(findings, "nodes-imdsv2-required")
    assert "launchTemplate is missing" in imds.message
    [disk] = violations(findings, "nodes-volumes-encrypted")
    assert "EBS encryption by default" in disk.message


def test_unknown_hop_limit_is_reported_as_not_runnable() -> None:
    props = template(metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": UNKNOWN})
    findings = run(LAUNCH_TEMPLATE, props)
    assert violations(findings, "nodes-imdsv2-required") == []
    [notice] = [f for f in findings if f.policy == "nodes-imdsv2-required"]
    assert "during preview" in notice.message


def test_launch_template_id_unknown_during_preview_counts_as_attached() -> None:
    props = {**GOOD_NODE_GROUP, "launchTemplate": {"id": UNKNOWN, "version": UNKNOWN}}
    assert run(NODE_GROUP, props) == []


# nodes-volumes-encrypted


def test_unencrypted_volume_fails_with_index() -> None:
    mappings = [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}},
        {"deviceName": "/dev/xvdb", "ebs": {"encrypted": "false", "volumeSize": 100}},
    ]
    [message] = messages(LAUNCH_TEMPLATE, template(blockDeviceMappings=mappings), "nodes-volumes-encrypted")
    assert "blockDeviceMappings[1].ebs.encrypted is not true" in message


def test_boolean_encrypted_true_passes_and_instance_store_is_skipped() -> None:
    mappings = [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": True}},
        {"deviceName": "/dev/sdb", "virtualName": "ephemeral0"},
    ]
    assert messages(LAUNCH_TEMPLATE, template(blockDeviceMappings=mappings), "nodes-volumes-encrypted") == []


def test_missing_encrypted_flag_fails() -> None:
    mappings = [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 20}}]
    [message] = messages(LAUNCH_TEMPLATE, template(blockDeviceMappings=mappings), "nodes-volumes-encrypted")
    assert "blockDeviceMappings[0].ebs.encrypted is not true" in message


def test_launch_template_without_block_devices_fails() -> None:
    props = {k: v for k, v in GOOD_TEMPLATE.items() if k != "blockDeviceMappings"}
    [message] = messages(LAUNCH_TEMPLATE, props, "nodes-volumes-encrypted")
    assert "blockDeviceMappings is missing" in message


# nodes-no-ssh


def test_node_group_remote_access_without_source_groups_fails_and_names_port_22() -> None:
    props = {**GOOD_NODE_GROUP, "remoteAccess": {"ec2SshKey": "ops"}}
    [message] = messages(NODE_GROUP, props, "nodes-no-ssh")
    assert "remoteAccess is set" in message
    assert "port 22 to 0.0.0.0/0" in message


def test_node_group_remote_access_with_source_groups_still_fails() -> None:
    props = {**GOOD_NODE_GROUP, "remoteAccess": {"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-1"]}}
    [message] = messages(NODE_GROUP, props, "nodes-no-ssh")
    assert "0.0.0.0/0" not in message


@pytest.mark.parametrize("key", ["ops", UNKNOWN])
def test_launch_template_key_pair_fails_even_when_its_name_is_unknown(key: str) -> None:
    [message] = messages(LAUNCH_TEMPLATE, template(keyName=key), "nodes-no-ssh")
    assert "keyName is set" in message


def test_empty_key_name_passes() -> None:
    assert messages(LAUNCH_TEMPLATE, template(keyName=""), "nodes-no-ssh") == []
