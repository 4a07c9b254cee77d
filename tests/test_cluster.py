"""components.cluster: the EKS cluster's real inputs under mocks, secure defaults and named
insecure options, and the existing-cluster mode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.cluster import EksCluster, ExistingCluster
from components.cluster_args import (
    ADDON_VERSIONS,
    CONTROL_PLANE_LOG_TYPES,
    AccessEntryArgs,
    EksClusterArgs,
    ExistingClusterArgs,
    NodeGroupArgs,
)
from components.network import ClusterNetwork
from preflight.canned import CANNED
from tests.mocks import (
    ACCOUNT_ID,
    CLUSTER_ENDPOINT,
    CLUSTER_SG_ID,
    OIDC_ISSUER,
    Recording,
    fake_arn,
    is_secret,
    run,
    unsecret,
)

ADMIN = f"arn:aws:iam::{ACCOUNT_ID}:role/platform-admin"
DEVELOPER = f"arn:aws:iam::{ACCOUNT_ID}:role/developer"
SUBNETS = ["subnet-private-a", "subnet-private-b", "subnet-private-c"]
TAGS = {"project": "devsecops-platform", "stack": "dev", "team": "platform"}
CLUSTER = "aws:eks/cluster:Cluster"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
PROVIDER = "pulumi:providers:kubernetes"


def cluster_args(**overrides: Any) -> EksClusterArgs:
    fields: dict[str, Any] = {
        "cluster_name": "devsecops-test",
        "access_entries": (AccessEntryArgs(ADMIN, "cluster-admin"),
                           AccessEntryArgs(DEVELOPER, "edit", ("apps",))),
        "endpoint_private_access_cidrs": ("10.250.0.0/16",),
        "tags": TAGS,
        **overrides,
    }
    return EksClusterArgs(**fields)


def build(**overrides: Any) -> Recording:
    args = cluster_args(**overrides)
    return run(lambda: EksCluster("eks", args, ClusterNetwork(vpc_id="vpc-0123", private_subnet_ids=SUBNETS)))


def arn_of(recording: Recording, type_token: str, name: str) -> str:
    """The ARN the mock gave a resource (what other resources must reference)."""
    resource = recording.one(type_token, name)
    return fake_arn(type_token, resource.name, resource.inputs)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return build()


@pytest.fixture(scope="module")
def cluster(recording: Recording) -> dict[str, Any]:
    return recording.one(CLUSTER).inputs


# --- the control plane ----------------------------------------------------------------------------


def test_secrets_are_envelope_encrypted_with_a_rotating_customer_key(recording: Recording,
                                                                     cluster: dict[str, Any]) -> None:
    key_arn = arn_of(recording, KEY, "eks-secrets")
    assert cluster["encryptionConfig"] == {"provider": {"keyArn": key_arn}, "resources": ["secrets"]}
    key = recording.one(KEY, "eks-secrets").inputs
    assert key["enableKeyRotation"] is True
    assert key["deletionWindowInDays"] == 30
    # the control plane's role may use that key, and only it
    policy = json.loads(recording.one("aws:iam/rolePolicy:RolePolicy", "eks-control-plane-secrets-key")
                        .inputs["policy"])
    assert policy["Statement"] == [{
        "Sid": "EnvelopeEncryptSecrets", "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], "Resource": key_arn,
    }]


def test_all_control_plane_logs_go_to_an_encrypted_group_created_first(recording: Recording,
                                                                        cluster: dict[str, Any]) -> None:
    assert cluster["enabledClusterLogTypes"] == list(CONTROL_PLANE_LOG_TYPES)
    assert len(CONTROL_PLANE_LOG_TYPES) == 5
    group = recording.one(LOG_GROUP)
    assert group.inputs["name"] == "/aws/eks/devsecops-test/cluster"
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == arn_of(recording, KEY, "eks-logs")
    assert group.urn in recording.one(CLUSTER).dependencies
    logs_key = json.loads(recording.one(KEY, "eks-logs").inputs["policy"])["Statement"][1]
    assert logs_key["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs_key["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == [
        f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/eks/devsecops-test/cluster"]


def test_api_endpoint_is_private_only_by_default(recording: Recording, cluster: dict[str, Any]) -> None:
    vpc = cluster["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert vpc["subnetIds"] == SUBNETS
    assert vpc["securityGroupIds"] == ["eks-api-id"]


def test_private_endpoint_access_rules_sit_on_the_control_plane_group_only(recording: Recording) -> None:
    rule = recording.one(INGRESS).inputs
    assert (rule["securityGroupId"], rule["ipProtocol"], rule["fromPort"], rule["toPort"], rule["cidrIpv4"]) \
        == ("eks-api-id", "tcp", 443, 443, "10.250.0.0/16")
    assert recording.one("aws:ec2/securityGroup:SecurityGroup").inputs["vpcId"] == "vpc-0123"


def test_public_endpoint_when_enabled_is_limited_to_the_given_cidrs() -> None:
    vpc = build(endpoint_public_access_cidrs=("203.0.113.0/24",)).one(CLUSTER).inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert vpc["endpointPrivateAccess"] is True


def test_access_is_by_access_entries_with_no_implicit_creator_admin(recording: Recording,
                                                                      cluster: dict[str, Any]) -> None:
    assert cluster["accessConfig"] == {"authenticationMode": "API",
                                       "bootstrapClusterCreatorAdminPermissions": False}
    entries = {e.inputs["principalArn"]: e for e in recording.of_type("aws:eks/accessEntry:AccessEntry")}
    assert set(entries) == {ADMIN, DEVELOPER}
    assert all(e.inputs["type"] == "STANDARD" for e in entries.values())
    associations = {a.inputs["principalArn"]: a for a in
                    recording.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    admin = associations[ADMIN]
    assert admin.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert admin.inputs["accessScope"] == {"type": "cluster"}
    assert entries[ADMIN].urn in admin.dependencies
    developer = associations[DEVELOPER]
    assert developer.inputs["policyArn"].endswith("/AmazonEKSEditPolicy")
    assert developer.inputs["accessScope"] == {"type": "namespace", "namespaces": ["apps"]}


def test_cluster_basics(cluster: dict[str, Any]) -> None:
    assert cluster["name"] == "devsecops-test"
    assert cluster["version"] == "1.33"
    assert cluster["bootstrapSelfManagedAddons"] is False
    assert cluster["deletionProtection"] is True


def test_irsa_oidc_provider_trusts_the_cluster_issuer(recording: Recording) -> None:
    oidc = recording.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs
    assert oidc["url"] == OIDC_ISSUER
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]


# --- add-ons ----------------------------------------------------------------------------------------


def test_core_addons_are_pinned_from_the_version_table(recording: Recording) -> None:
    addons = {a.inputs["addonName"]: a.inputs for a in recording.of_type(ADDON)}
    assert {name: a["addonVersion"] for name, a in addons.items()} == dict(ADDON_VERSIONS["1.33"])
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"}
    assert all(a["clusterName"] == "devsecops-test" for a in addons.values())
    assert all(a["resolveConflictsOnUpdate"] == "OVERWRITE" for a in addons.values())


def test_vpc_cni_enforces_network_policy_with_its_own_irsa_role(recording: Recording) -> None:
    cni = recording.one(ADDON, "eks-vpc-cni").inputs
    assert json.loads(cni["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert cni["serviceAccountRoleArn"] == arn_of(recording, ROLE, "eks-vpc-cni")
    trust = json.loads(recording.one(ROLE, "eks-vpc-cni").inputs["assumeRolePolicy"])["Statement"][0]
    issuer = OIDC_ISSUER.removeprefix("https://")
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}"}
    assert trust["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:kube-system:aws-node", f"{issuer}:aud": "sts.amazonaws.com"}


def test_addons_are_ordered_around_the_nodes(recording: Recording) -> None:
    group = recording.one(NODE_GROUP)
    for early in ("eks-vpc-cni", "eks-kube-proxy", "eks-eks-pod-identity-agent"):
        assert recording.one(ADDON, early).urn in group.dependencies
    assert group.urn in recording.one(ADDON, "eks-coredns").dependencies


# --- IAM ----------------------------------------------------------------------------------------------


def _attached(recording: Recording, role: str) -> set[str]:
    role_name = recording.one(ROLE, role).name
    return {a.inputs["policyArn"].rsplit("/", 1)[1] for a in recording.of_type(ATTACHMENT)
            if a.inputs["role"] == role_name}


def test_roles_hold_only_the_managed_policies_their_job_needs(recording: Recording) -> None:
    assert _attached(recording, "eks-control-plane") == {"AmazonEKSClusterPolicy"}
    assert _attached(recording, "eks-node") == {"AmazonEKSWorkerNodePolicy",
                                                "AmazonEC2ContainerRegistryPullOnly"}
    assert _attached(recording, "eks-vpc-cni") == {"AmazonEKS_CNI_Policy"}
    trusts = {r.name: json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Principal"]
              for r in recording.of_type(ROLE)}
    assert trusts["eks-control-plane"] == {"Service": "eks.amazonaws.com"}
    assert trusts["eks-node"] == {"Service": "ec2.amazonaws.com"}
    for attachment in recording.of_type(ATTACHMENT):
        assert attachment.inputs["policyArn"].startswith("arn:aws:iam::aws:policy/")


# --- nodes --------------------------------------------------------------------------------------------


def test_launch_template_requires_imdsv2_with_hop_limit_one(recording: Recording) -> None:
    template = recording.one(LAUNCH_TEMPLATE).inputs
    assert template["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required",
                                           "httpPutResponseHopLimit": 1, "instanceMetadataTags": "disabled"}


def test_root_volume_is_encrypted_gp3_and_there_is_no_ssh(recording: Recording) -> None:
    template = recording.one(LAUNCH_TEMPLATE).inputs
    [device] = template["blockDeviceMappings"]
    assert device["deviceName"] == "/dev/xvda"
    assert device["ebs"]["volumeType"] == "gp3"
    assert device["ebs"]["encrypted"] == "true"
    assert device["ebs"]["volumeSize"] == 50
    assert "kmsKeyId" not in device["ebs"]  # the account's aws/ebs key unless one is given
    assert "keyName" not in template
    assert "userData" not in template
    assert "remoteAccess" not in recording.one(NODE_GROUP).inputs
    assert {s["resourceType"] for s in template["tagSpecifications"]} == {"instance", "volume",
                                                                          "network-interface"}


def test_root_volume_uses_a_given_customer_key() -> None:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    template = build(node_volume_kms_key_arn=key).one(LAUNCH_TEMPLATE).inputs
    assert template["blockDeviceMappings"][0]["ebs"]["kmsKeyId"] == key


def test_node_group_runs_on_the_private_subnets_with_the_template(recording: Recording) -> None:
    group = recording.one(NODE_GROUP).inputs
    assert group["subnetIds"] == SUBNETS
    assert group["launchTemplate"] == {"id": "eks-system-id", "version": "1"}
    assert group["nodeRoleArn"] == arn_of(recording, ROLE, "eks-node")
    assert group["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 2}
    assert group["amiType"] == "AL2023_x86_64_STANDARD"
    assert "diskSize" not in group  # the template owns the volume


def test_one_template_and_group_per_node_group() -> None:
    recording = build(node_groups=(NodeGroupArgs("system"),
                                   NodeGroupArgs("spot", capacity_type="SPOT", instance_types=("m6i.xlarge",
                                                                                              "m7i.xlarge"))))
    groups = {g.name: g.inputs for g in recording.of_type(NODE_GROUP)}
    assert set(groups) == {"eks-system", "eks-spot"}
    assert groups["eks-spot"]["capacityType"] == "SPOT"
    assert groups["eks-spot"]["launchTemplate"]["id"] == "eks-spot-id"
    assert len(recording.of_type(LAUNCH_TEMPLATE)) == 2


# --- the Kubernetes provider --------------------------------------------------------------------------


def test_provider_gets_a_secret_exec_kubeconfig_after_the_cluster_is_ready(recording: Recording) -> None:
    provider = recording.one(PROVIDER)
    assert is_secret(provider.inputs["kubeconfig"])
    kubeconfig = json.loads(unsecret(provider.inputs["kubeconfig"]))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == CLUSTER_ENDPOINT
    exec_ = kubeconfig["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["eks", "get-token", "--cluster-name", "devsecops-test", "--region", "us-east-1",
                             "--output", "json"]
    assert recording.one(ADDON, "eks-coredns").urn in provider.dependencies


# --- conventions -------------------------------------------------------------------------------------


def test_every_taggable_resource_carries_the_default_tags(recording: Recording) -> None:
    untaggable = {ATTACHMENT, "aws:iam/rolePolicy:RolePolicy",
                  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", PROVIDER,
                  "devsecops:cluster:EksCluster"}
    for resource in recording.resources:
        if resource.type not in untaggable:
            assert TAGS.items() <= (resource.inputs.get("tags") or {}).items(), resource.name


def test_children_are_parented_to_the_component_and_named_after_it(recording: Recording) -> None:
    component = recording.one("devsecops:cluster:EksCluster")
    children = recording.children_of(component)
    assert len(children) == len(recording.resources) - 1
    assert all(c.name.startswith("eks-") for c in children)


def test_only_the_canned_invokes_are_used(recording: Recording) -> None:
    assert {token for token, _ in recording.invokes} <= set(CANNED)
    assert {token for token, _ in recording.invokes} == {
        "aws:index/getCallerIdentity:getCallerIdentity", "aws:index/getPartition:getPartition",
        "aws:index/getRegion:getRegion"}


def test_secure_defaults_log_no_warning(recording: Recording) -> None:
    assert recording.warnings() == []


# --- named insecure options: each weakens exactly one default, visibly ------------------------------


def test_disable_secrets_encryption_insecure() -> None:
    recording = build(disable_secrets_encryption_insecure=True)
    assert "encryptionConfig" not in recording.one(CLUSTER).inputs
    assert [k.name for k in recording.of_type(KEY)] == ["eks-logs"]
    assert any("disable_secrets_encryption_insecure" in w for w in recording.warnings())


def test_disable_control_plane_logs_insecure() -> None:
    recording = build(disable_control_plane_logs_insecure=True)
    assert recording.one(CLUSTER).inputs["enabledClusterLogTypes"] == []
    assert recording.of_type(LOG_GROUP) == []
    assert any("disable_control_plane_logs_insecure" in w for w in recording.warnings())


def test_allow_imdsv1_insecure() -> None:
    recording = build(node_groups=(NodeGroupArgs("system", allow_imdsv1_insecure=True),))
    metadata = recording.one(LAUNCH_TEMPLATE).inputs["metadataOptions"]
    assert metadata["httpTokens"] == "optional"
    assert metadata["httpPutResponseHopLimit"] == 1
    assert any("node_groups[system].allow_imdsv1_insecure" in w for w in recording.warnings())


def test_node_port_ingress_cidrs_insecure() -> None:
    recording = build(node_port_ingress_cidrs_insecure=("0.0.0.0/0", "::/0"))
    rules = [r.inputs for r in recording.of_type(INGRESS) if r.inputs["securityGroupId"] == CLUSTER_SG_ID]
    opened = {(r.get("cidrIpv4"), r.get("cidrIpv6"), r["fromPort"], r["toPort"], r["ipProtocol"])
              for r in rules}  # registration order is not deterministic
    assert opened == {("0.0.0.0/0", None, 30000, 32767, "tcp"), (None, "::/0", 30000, 32767, "tcp")}
    assert any("node_port_ingress_cidrs_insecure" in w for w in recording.warnings())


# --- an existing cluster --------------------------------------------------------------------------------


def test_existing_cluster_only_makes_a_provider_from_the_secret_kubeconfig() -> None:
    kubeconfig = "apiVersion: v1\nkind: Config\ncontexts: [{name: corp}]\n"
    args = ExistingClusterArgs(kubeconfig=kubeconfig, context="corp")
    recording = run(lambda: ExistingCluster("corp", args))
    assert sorted(r.type for r in recording.resources) == ["devsecops:cluster:ExistingCluster", PROVIDER]
    provider = recording.one(PROVIDER)
    assert is_secret(provider.inputs["kubeconfig"])
    assert unsecret(provider.inputs["kubeconfig"]) == kubeconfig
    assert provider.inputs["context"] == "corp"
    assert "renderYamlToDirectory" not in provider.inputs  # applies to the cluster by default
    assert recording.invokes == []


def test_existing_cluster_in_render_mode_gives_the_provider_only_the_directory() -> None:
    recording = run(lambda: ExistingCluster("corp", ExistingClusterArgs(render_yaml_to_directory="out/manifests")))
    provider = recording.one(PROVIDER)
    # The real provider refuses kubeconfig with renderYamlToDirectory ("not compatible").
    assert {k: v for k, v in provider.inputs.items() if k != "version"} == {"renderYamlToDirectory": "out/manifests"}


def test_existing_cluster_needs_a_kubeconfig_unless_rendering() -> None:
    with pytest.raises(ValueError, match="needs a kubeconfig"):
        ExistingCluster("corp", ExistingClusterArgs())
