"""components.config: the stack config becomes typed Args, and every invalid value is a ConfigError
naming the key, the value and what is allowed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.cluster_args import (
    CONTROL_PLANE_LOG_RETENTION_DAYS,
    DEFAULT_KUBERNETES_VERSION,
    SUPPORTED_KUBERNETES_VERSIONS,
    AccessEntryArgs,
    EksClusterArgs,
    ExistingClusterArgs,
    NodeGroupArgs,
    NodeTaint,
)
from components.config import PlatformConfig, load
from components.errors import ConfigError
from components.network import NetworkArgs
from tests.mocks import ROOT, engine_config, run

P = "devsecops-platform"
ADMIN = "arn:aws:iam::111122223333:role/platform-admin"
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: corp
  cluster: {server: "https://k8s.example.internal:6443", certificate-authority-data: "AAAA"}
users:
- name: deployer
  user: {token: "not-a-real-token"}
contexts:
- name: corp-admin
  context: {cluster: corp, user: deployer}
current-context: corp-admin
"""

BASE: dict[str, Any] = {
    "aws:region": "us-east-1",
    f"{P}:network": {"cidr": "10.20.0.0/16",
                     "availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"]},
    f"{P}:cluster": {
        "accessEntries": [{"principalArn": ADMIN, "policy": "cluster-admin"}],
        "nodeGroups": [{"name": "system", "minSize": 2, "maxSize": 5, "desiredSize": 3}],
    },
}


def engine_form(values: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def load_config(values: dict[str, Any], secret_keys: tuple[str, ...] = ()) -> PlatformConfig:
    """Run config.load() under mocks with the given config (engine form: objects as JSON)."""
    result: list[PlatformConfig] = []
    recording = run(lambda: result.append(load()), config=engine_form(values), secret_keys=secret_keys)
    assert recording.resources == []  # loading config registers nothing
    return result[0]


def changed(edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    values = copy.deepcopy(BASE)
    edit(values)
    return values


def cluster(values: dict[str, Any]) -> dict[str, Any]:
    section: dict[str, Any] = values[f"{P}:cluster"]
    return section


def network(values: dict[str, Any]) -> dict[str, Any]:
    section: dict[str, Any] = values[f"{P}:network"]
    return section


def group(values: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = cluster(values)["nodeGroups"][0]
    return first


# --- what valid config becomes ------------------------------------------------------------------


def test_dev_stack_file_becomes_typed_args() -> None:
    result: list[PlatformConfig] = []
    run(lambda: result.append(load()), config=engine_config(ROOT / "Pulumi.dev.yaml"))
    cfg = result[0]
    assert cfg.region == "us-east-1"
    assert cfg.network == NetworkArgs(
        name="devsecops-platform-dev",
        availability_zones=("us-east-1a", "us-east-1b", "us-east-1c"),
        cidr="10.20.0.0/16",
        nat_gateways="single",
        flow_log_retention_days=365,
        tags=cfg.tags,
    )
    assert isinstance(cfg.cluster, EksClusterArgs)
    assert cfg.cluster.cluster_name == "devsecops-dev"
    assert cfg.cluster.kubernetes_version == "1.33"
    assert cfg.cluster.endpoint_public_access_cidrs == ()
    assert cfg.cluster.endpoint_private_access_cidrs == ("10.250.0.0/16",)
    assert cfg.cluster.access_entries == (AccessEntryArgs(ADMIN, "cluster-admin"),)
    assert cfg.cluster.node_groups == (
        NodeGroupArgs(
            name="system", instance_types=("m6i.large", "m6a.large"), min_size=2, max_size=5,
            desired_size=3, disk_size_gib=50, labels={"workload-class": "system"},
        ),
        NodeGroupArgs(
            name="ci-runners", instance_types=("m6i.large",), min_size=0, max_size=4, desired_size=1,
            disk_size_gib=100, labels={"devsecops.io/node-pool": "ci-runners"},
            taints=(NodeTaint("devsecops.io/ci-runners", "true", "NO_SCHEDULE"),),
        ),
    )
    assert cfg.cluster.insecure_options() == []
    assert cfg.tags == {"project": P, "stack": "dev", "managed-by": "pulumi", "environment": "dev",
                        "owner": "platform-team", "cost-center": "4711"}
    # The monitoring namespace's egress reaches nodes and the API server inside the VPC only.
    assert cfg.observability is not None and cfg.observability.node_cidrs == ("10.20.0.0/16",)


def test_minimal_managed_config_gets_the_secure_defaults() -> None:
    cfg = load_config(BASE)
    assert isinstance(cfg.cluster, EksClusterArgs)
    args = cfg.cluster
    assert args.cluster_name == f"{P}-dev"
    assert args.kubernetes_version == DEFAULT_KUBERNETES_VERSION
    assert args.endpoint_public_access_cidrs == ()
    assert args.log_retention_days == CONTROL_PLANE_LOG_RETENTION_DAYS
    assert args.deletion_protection is True
    assert args.disable_secrets_encryption_insecure is False
    assert args.disable_control_plane_logs_insecure is False
    assert args.node_port_ingress_cidrs_insecure == ()
    assert args.node_groups[0].allow_imdsv1_insecure is False
    assert args.tags == {"project": P, "stack": "dev", "managed-by": "pulumi"}
    assert cfg.network is not None and cfg.network.nat_gateways == "per-az"


def test_restricted_public_endpoint_and_named_insecure_options_reach_the_args() -> None:
    def edit(v: dict[str, Any]) -> None:
        cluster(v).update(endpointPublicAccess=True, endpointPublicAccessCidrs=["203.0.113.0/24"],
                          insecure={"disableSecretsEncryption": True, "disableControlPlaneLogs": True,
                                    "nodePortIngressCidrs": ["0.0.0.0/0"]})
        group(v)["insecure"] = {"allowImdsv1": True}

    args = load_config(changed(edit)).cluster
    assert isinstance(args, EksClusterArgs)
    assert args.endpoint_public_access_cidrs == ("203.0.113.0/24",)
    assert args.insecure_options() == [
        "disable_secrets_encryption_insecure", "disable_control_plane_logs_insecure",
        "node_port_ingress_cidrs_insecure", "node_groups[system].allow_imdsv1_insecure",
    ]
    assert args.node_port_ingress_cidrs_insecure == ("0.0.0.0/0",)


def test_every_supported_kubernetes_version_loads() -> None:
    for version in SUPPORTED_KUBERNETES_VERSIONS:
        args = load_config(changed(lambda v, ver=version: cluster(v).update(kubernetesVersion=ver))).cluster
        assert isinstance(args, EksClusterArgs) and args.kubernetes_version == version


def test_existing_cluster_mode_takes_a_secret_kubeconfig() -> None:
    values = {f"{P}:cluster": {"mode": "existing", "context": "corp-admin"}, f"{P}:kubeconfig": KUBECONFIG,
              f"{P}:network": {}}  # {} is Pulumi.yaml's "not set" default
    cfg = load_config(values, secret_keys=(f"{P}:kubeconfig",))
    assert cfg.network is None
    assert isinstance(cfg.cluster, ExistingClusterArgs)
    assert cfg.cluster.context == "corp-admin"
    kubeconfig = cfg.cluster.kubeconfig
    assert isinstance(kubeconfig, pulumi.Output)
    assert cfg.cluster.render_yaml_to_directory is None  # applies to the cluster unless asked


def test_explicit_observability_node_cidrs_win_over_the_vpc() -> None:
    values = changed(lambda v: v.update({f"{P}:observability": {
        "grafana": {"adminExistingSecret": "grafana-admin"}, "nodeCidrs": ["10.20.0.0/20"]}}))
    cfg = load_config(values)
    assert cfg.observability is not None and cfg.observability.node_cidrs == ("10.20.0.0/20",)


def test_existing_cluster_can_render_manifests_to_a_directory_without_a_kubeconfig() -> None:
    cfg = load_config({f"{P}:cluster": {"mode": "existing", "renderYamlToDirectory": "out/manifests"}})
    assert cfg.cluster == ExistingClusterArgs(render_yaml_to_directory="out/manifests")


def test_pulumi_yaml_defaults_mean_not_set() -> None:
    values = {**BASE, f"{P}:tags": {}, f"{P}:kubeconfig": ""}
    cfg = load_config(values)
    assert isinstance(cfg.cluster, EksClusterArgs)
    assert cfg.tags == {"project": P, "stack": "dev", "managed-by": "pulumi"}


def test_error_message_names_key_value_and_allowed() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(changed(lambda v: group(v).update(minSize=6)))
    message = str(caught.value)
    assert "key 'cluster.nodeGroups[0].minSize' has value 6" in message
    assert "minSize is greater than maxSize" in message
    assert "Allowed: at most maxSize (5)" in message
    assert "Pulumi.dev.yaml" in message


# --- every invalid value is refused -------------------------------------------------------------


Edit = Callable[[dict[str, Any]], object]


def _set(section: Callable[[dict[str, Any]], dict[str, Any]], **fields: Any) -> Edit:
    return lambda v: section(v).update(fields)


CASES: list[tuple[str, Callable[[dict[str, Any]], object], str, object, str]] = [
    # (case, edit, key, value, problem fragment)
    ("unknown top-level key", lambda v: v.update({f"{P}:gitops": {"enabled": True}}),
     f"{P}:gitops", {"enabled": True}, "unknown key"),
    ("unknown cluster key", _set(cluster, nodeGroup=[]), "cluster.nodeGroup", [],
     "did you mean 'nodeGroups'"),
    ("unknown network key", _set(network, cidrBlock="10.0.0.0/16"), "network.cidrBlock", "10.0.0.0/16",
     "unknown key"),
    ("unknown node group key", _set(group, minSise=1), "cluster.nodeGroups[0].minSise", 1,
     "did you mean 'minSize'"),
    ("unknown insecure key", _set(cluster, insecure={"allowEverything": True}),
     "cluster.insecure.allowEverything", True, "unknown key"),
    ("unknown node group insecure key", _set(group, insecure={"imdsv1": True}),
     "cluster.nodeGroups[0].insecure.imdsv1", True, "unknown key"),
    ("unknown access entry key", lambda v: cluster(v)["accessEntries"][0].update(role="x"),
     "cluster.accessEntries[0].role", "x", "unknown key"),
    ("integer as string", _set(group, minSize="2"), "cluster.nodeGroups[0].minSize", "2",
     "expected an integer, got a string"),
    ("boolean as integer", _set(group, maxSize=True), "cluster.nodeGroups[0].maxSize", True,
     "expected an integer, got a boolean"),
    ("unquoted version", _set(cluster, kubernetesVersion=1.33), "cluster.kubernetesVersion", 1.33,
     "quote it in YAML"),
    ("boolean as string", _set(cluster, endpointPublicAccess="true"), "cluster.endpointPublicAccess", "true",
     "expected a boolean"),
    ("section not an object", lambda v: v.update({f"{P}:cluster": ["managed"]}), "cluster", ["managed"],
     "expected an object, got a list"),
    ("section not JSON", lambda v: v.update({f"{P}:network": "10.0.0.0/16"}), "network", "10.0.0.0/16",
     "expected an object"),
    ("list expected", _set(network, availabilityZones="us-east-1a"), "network.availabilityZones",
     "us-east-1a", "expected a list"),
    ("bad CIDR prefix", _set(network, cidr="10.0.0.0/33"), "network.cidr", "10.0.0.0/33",
     "not a valid CIDR block"),
    ("CIDR with host bits", _set(network, cidr="10.20.1.0/16"), "network.cidr", "10.20.1.0/16",
     "host bits are set; the network is 10.20.0.0/16"),
    ("not a CIDR", _set(network, cidr="10.20.0.0"), "network.cidr", "10.20.0.0", "no /prefix length"),
    ("IPv6 VPC", _set(network, cidr="fd00::/56"), "network.cidr", "fd00::/56", "not an IPv4 CIDR block"),
    ("VPC too large for AWS", _set(network, cidr="10.0.0.0/12"), "network.cidr", "10.0.0.0/12",
     "from /16 to /28"),
    ("VPC too small for the zones", _set(network, cidr="10.20.0.0/24"), "network.cidr", "10.20.0.0/24",
     "too small for 3 zones"),
    ("one zone", _set(network, availabilityZones=["us-east-1a"]), "network.availabilityZones",
     ["us-east-1a"], "at least 2 items"),
    ("seven zones", _set(network, availabilityZones=[f"us-east-1{c}" for c in "abcdefg"]),
     "network.availabilityZones", [f"us-east-1{c}" for c in "abcdefg"], "too many zones"),
    ("zone of another region", _set(network, availabilityZones=["us-east-1a", "us-west-2b"]),
     "network.availabilityZones[1]", "us-west-2b", "not an availability zone of aws:region us-east-1"),
    ("duplicate zone", _set(network, availabilityZones=["us-east-1a", "us-east-1a"]),
     "network.availabilityZones[1]", "us-east-1a", "duplicate entry"),
    ("bad NAT mode", _set(network, natGateways="two"), "network.natGateways", "two",
     "not one of the allowed values"),
    ("bad flow log retention", _set(network, flowLogRetentionDays=42), "network.flowLogRetentionDays", 42,
     "not one of the allowed values"),
    ("unsupported Kubernetes version", _set(cluster, kubernetesVersion="1.28"), "cluster.kubernetesVersion",
     "1.28", "not one of the allowed values"),
    ("min above max", _set(group, minSize=6, maxSize=5), "cluster.nodeGroups[0].minSize", 6,
     "minSize is greater than maxSize"),
    ("desired above max", _set(group, desiredSize=9), "cluster.nodeGroups[0].desiredSize", 9,
     "outside the group's size range"),
    ("desired below min", _set(group, desiredSize=1), "cluster.nodeGroups[0].desiredSize", 1,
     "outside the group's size range"),
    ("negative size", _set(group, minSize=-1), "cluster.nodeGroups[0].minSize", -1, "out of range"),
    ("no node groups", _set(cluster, nodeGroups=[]), "cluster.nodeGroups", [], "at least 1 item"),
    ("duplicate node group", _set(cluster, nodeGroups=[{"name": "a"}, {"name": "a"}]),
     "cluster.nodeGroups[1].name", "a", "duplicate node group name"),
    ("bad node group name", _set(group, name="System_1"), "cluster.nodeGroups[0].name", "System_1",
     "not in the expected form"),
    ("bad instance type", _set(group, instanceTypes=["large"]), "cluster.nodeGroups[0].instanceTypes[0]",
     "large", "not in the expected form"),
    ("unsupported AMI", _set(group, amiType="AL2_x86_64"), "cluster.nodeGroups[0].amiType", "AL2_x86_64",
     "not one of the allowed values"),
    ("tiny disk", _set(group, diskSizeGib=8), "cluster.nodeGroups[0].diskSizeGib", 8, "out of range"),
    ("bad label key", _set(group, labels={"-bad": "x"}), "cluster.nodeGroups[0].labels.-bad", "-bad",
     "invalid key"),
    ("public endpoint open to the world", _set(cluster, endpointPublicAccess=True,
                                                endpointPublicAccessCidrs=["0.0.0.0/0"]),
     "cluster.endpointPublicAccessCidrs[0]", "0.0.0.0/0", "opens access to every address"),
    ("public endpoint open to the IPv6 world", _set(cluster, endpointPublicAccess=True,
                                                     endpointPublicAccessCidrs=["::/0"]),
     "cluster.endpointPublicAccessCidrs[0]", "::/0", "opens access to every address"),
    ("public access with no CIDRs", _set(cluster, endpointPublicAccess=True),
     "cluster.endpointPublicAccessCidrs", [], "public access is enabled with no CIDRs"),
    ("CIDRs with public access off", _set(cluster, endpointPublicAccessCidrs=["203.0.113.0/24"]),
     "cluster.endpointPublicAccess", False, "the public endpoint is off"),
    ("private endpoint open to all", _set(cluster, endpointPrivateAccessCidrs=["0.0.0.0/0"]),
     "cluster.endpointPrivateAccessCidrs[0]", "0.0.0.0/0", "opens access to every address"),
    ("duplicate private CIDR", _set(cluster, endpointPrivateAccessCidrs=["10.0.0.0/8", "10.0.0.0/8"]),
     "cluster.endpointPrivateAccessCidrs[1]", "10.0.0.0/8", "duplicate entry"),
    ("bad insecure CIDR", _set(cluster, insecure={"nodePortIngressCidrs": ["anywhere"]}),
     "cluster.insecure.nodePortIngressCidrs[0]", "anywhere", "not a CIDR block"),
    ("bad control-plane log retention", _set(cluster, logRetentionDays=0), "cluster.logRetentionDays", 0,
     "not one of the allowed values"),
    ("bad cluster name", _set(cluster, name="-dev"), "cluster.name", "-dev", "not in the expected form"),
    ("bad KMS key ARN", _set(cluster, nodeVolumeKmsKeyArn="alias/aws/ebs"), "cluster.nodeVolumeKmsKeyArn",
     "alias/aws/ebs", "not in the expected form"),
    ("no access entries", lambda v: cluster(v).pop("accessEntries"), "cluster.accessEntries", None,
     "missing required key"),
    ("no cluster admin", _set(cluster, accessEntries=[{"principalArn": ADMIN, "policy": "view"}]),
     "cluster.accessEntries", [ADMIN], "nobody could administer the cluster"),
    ("namespaced admin only", _set(cluster, accessEntries=[
        {"principalArn": ADMIN, "policy": "cluster-admin", "namespaces": ["apps"]}]),
     "cluster.accessEntries", [ADMIN], "nobody could administer the cluster"),
    ("bad principal ARN", _set(cluster, accessEntries=[{"principalArn": "admin", "policy": "cluster-admin"}]),
     "cluster.accessEntries[0].principalArn", "admin", "not in the expected form"),
    ("root principal", _set(cluster, accessEntries=[
        {"principalArn": "arn:aws:iam::111122223333:root", "policy": "cluster-admin"}]),
     "cluster.accessEntries[0].principalArn", "arn:aws:iam::111122223333:root", "not in the expected form"),
    ("duplicate principal", _set(cluster, accessEntries=[{"principalArn": ADMIN, "policy": "cluster-admin"},
                                                         {"principalArn": ADMIN, "policy": "view"}]),
     "cluster.accessEntries[1].principalArn", ADMIN, "duplicate access entry"),
    ("unknown access policy", lambda v: cluster(v)["accessEntries"][0].update(policy="root"),
     "cluster.accessEntries[0].policy", "root", "not one of the allowed values"),
    ("bad namespace", lambda v: cluster(v)["accessEntries"].append(
        {"principalArn": "arn:aws:iam::111122223333:role/dev", "policy": "edit", "namespaces": ["Apps"]}),
     "cluster.accessEntries[1].namespaces[0]", "Apps", "not in the expected form"),
    ("no region", lambda v: v.pop("aws:region"), "aws:region", None, "needs the region pinned"),
    ("bad region", lambda v: v.update({"aws:region": "virginia"}), "aws:region", "virginia",
     "not a region name"),
    ("managed cluster without network", lambda v: v.pop(f"{P}:network"), "network", None,
     "a managed cluster needs a network"),
    ("unknown mode", _set(cluster, mode="serverless"), "cluster.mode", "serverless", "unknown cluster mode"),
    ("kubeconfig with a managed cluster", lambda v: v.update({f"{P}:kubeconfig": KUBECONFIG}), "kubeconfig",
     "<kubeconfig, not shown>", "a managed cluster makes its own kubeconfig"),
    ("AWS-reserved tag key", lambda v: v.update({f"{P}:tags": {"aws:owner": "me"}}), "tags.aws:owner",
     "aws:owner", "invalid tag key"),
    ("tag value not a string", lambda v: v.update({f"{P}:tags": {"cost-center": 4711}}), "tags.cost-center",
     4711, "quote it in YAML"),
]


@pytest.mark.parametrize(("case", "edit", "key", "value", "problem"), CASES, ids=[c[0] for c in CASES])
def test_invalid_value_is_refused(case: str, edit: Callable[[dict[str, Any]], object], key: str,
                                  value: object, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(changed(edit), secret_keys=(f"{P}:kubeconfig",))
    assert caught.value.key == key
    assert caught.value.value == value
    assert problem in caught.value.problem
    assert f"key '{key}'" in str(caught.value)


EXISTING = {f"{P}:cluster": {"mode": "existing"}, f"{P}:kubeconfig": KUBECONFIG}
SECRET = (f"{P}:kubeconfig",)


EXISTING_CASES: list[tuple[str, dict[str, Any], tuple[str, ...], str, object, str]] = [
    ("no kubeconfig", {f"{P}:cluster": {"mode": "existing"}}, (), "kubeconfig", None,
     "no kubeconfig is set"),
    ("plain-text kubeconfig", EXISTING, (), "kubeconfig", "<kubeconfig, not shown>", "stored in plain text"),
    ("not a kubeconfig", {**EXISTING, f"{P}:kubeconfig": "just: text"}, SECRET, "kubeconfig",
     "<kubeconfig, not shown>", "not a kubeconfig"),
    ("unknown context", {**EXISTING, f"{P}:cluster": {"mode": "existing", "context": "prod"}}, SECRET,
     "cluster.context", "prod", "no such context"),
    ("blank render directory", {f"{P}:cluster": {"mode": "existing", "renderYamlToDirectory": " "}},
     (), "cluster.renderYamlToDirectory", " ", "not in the expected form"),
    ("render directory not a string", {f"{P}:cluster": {"mode": "existing", "renderYamlToDirectory": True}},
     (), "cluster.renderYamlToDirectory", True, "expected a string"),
    # The Kubernetes provider refuses kubeconfig with renderYamlToDirectory (found by the real engine).
    ("render mode with a kubeconfig",
     {**EXISTING, f"{P}:cluster": {"mode": "existing", "renderYamlToDirectory": "out"}},
     SECRET, "kubeconfig", "<kubeconfig, not shown>", "the Kubernetes provider refuses both"),
    ("render mode with a context",
     {f"{P}:cluster": {"mode": "existing", "renderYamlToDirectory": "out", "context": "corp"}},
     (), "cluster.context", "corp", "render mode uses no kubeconfig"),
    ("managed-only key", {**EXISTING, f"{P}:cluster": {"mode": "existing", "nodeGroups": []}}, SECRET,
     "cluster.nodeGroups", [], "unknown key"),
    ("network with an existing cluster", {**EXISTING, f"{P}:network": BASE[f"{P}:network"]}, SECRET,
     "network", "{...}", "brings its own network"),
]


@pytest.mark.parametrize(("case", "values", "secret_keys", "key", "value", "problem"), EXISTING_CASES,
                         ids=[c[0] for c in EXISTING_CASES])
def test_invalid_existing_cluster_config_is_refused(case: str, values: dict[str, Any],
                                                    secret_keys: tuple[str, ...], key: str,
                                                    value: object, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(values, secret_keys)
    assert (caught.value.key, caught.value.value) == (key, value)
    assert problem in caught.value.problem
    assert "not-a-real-token" not in str(caught.value)  # the kubeconfig is never echoed


def test_a_misspelt_project_namespace_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({**BASE, "devsecops-platfrom:tags": json.dumps({"team": "x"})})
    assert caught.value.key == "devsecops-platfrom:tags"
    assert "unknown config namespace 'devsecops-platfrom'" in str(caught.value)


def test_a_registry_without_runners_is_refused_before_any_resource() -> None:
    ci = {"registry": {"repositories": ["sample/app"]}}
    with pytest.raises(ConfigError) as caught:
        load_config({**BASE, f"{P}:ci": json.dumps(ci)})
    assert caught.value.key == "ci.registry" and "nobody could push" in str(caught.value)


def _assert_intruder_refused(config: dict[str, str], namespace: str, owner: str) -> None:
    """A fourth service in `namespace` is refused, naming the setting that owns the namespace."""
    services = json.loads(config[f"{P}:services"])
    services.append({"name": "intruder", "namespace": namespace, "image": services[0]["image"],
                     "ports": [{"name": "http", "port": 8080, "protocol": "http"}]})
    config[f"{P}:services"] = json.dumps(services)
    with pytest.raises(ConfigError) as info:
        run(load, config=config)
    assert (info.value.key, info.value.value) == ("services[3].namespace", namespace)
    assert owner in str(info.value)


@pytest.mark.parametrize(("namespace", "owner"), [
    ("istio-system", "mesh.rootNamespace"),
    ("istio-cni", "mesh.cniNamespace"),
    ("istio-ingress", "mesh.ingress.namespace"),
    ("istio-egress", "mesh.egress.namespace"),
    ("observability", "observability.namespace"),
    ("observability-node", "observability.nodeNamespace"),
    ("argocd", "ci.gitops.namespace"),
    ("arc-systems", "ci.runners.controllerNamespace"),
    ("arc-platform", "ci.runners.scaleSets[0].namespace"),
    ("kube-system", "Kubernetes itself"),
    ("default", "Kubernetes itself"),
])
def test_a_service_in_a_platform_namespace_is_refused(namespace: str, owner: str) -> None:
    """A service there would inherit the namespace's exemptions (a gateway's is exempt from the
    registry check) and clash with its Namespace object."""
    config = engine_config(ROOT / "Pulumi.dev.yaml")
    _assert_intruder_refused(config, namespace, owner)


@pytest.mark.parametrize(("change", "namespace", "owner"), [
    # Observability off: its default names stay reserved (the dev policy config exempts them).
    (lambda c: c.update({f"{P}:observability": "{}"}), "observability-node",
     "the default of observability.nodeNamespace"),
    # ... and the namespace the mesh lets scrape every sidecar.
    (lambda c: c.update({f"{P}:observability": "{}"}), "monitoring", "scrape every sidecar"),
    # The ingress gateway renamed: its default name stays reserved.
    (lambda c: c.update({f"{P}:mesh": json.dumps({**json.loads(c[f"{P}:mesh"]), "ingress": {
        **json.loads(c[f"{P}:mesh"])["ingress"], "namespace": "gateway"}})}), "istio-ingress",
     "the default of mesh.ingress.namespace"),
])
def test_default_platform_namespaces_stay_reserved(change: Callable[[dict[str, str]], object], namespace: str,
                                                   owner: str) -> None:
    config = engine_config(ROOT / "Pulumi.dev.yaml")
    change(config)
    _assert_intruder_refused(config, namespace, owner)
