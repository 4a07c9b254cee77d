"""Who may connect to whom in the dev stack, judged by cyclonus's NetworkPolicy matcher.

Every NetworkPolicy the dev stack registers (mesh, sample app, observability, CI, GitOps) is
handed to tools/netpol-check with one connection per row below. A row states what SP 800-204C's
zero-trust posture expects: the declared call graph and the monitoring paths go through, and
everything else (undeclared calls, the internet, the instance metadata service) does not.

The charts' own NetworkPolicies are not in the mock run (charts are not rendered there), so rows
whose receiving side is a chart pod outside the observability namespaces assert the sending side
only (`side="egress"`), and rows whose sending side is such a pod assert the receiving side only
(`side="ingress"`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import pytest

from components.observability import Observability
from components.observability_args import AlertingArgs, AlertReceiver, ObservabilityArgs
from components.observability_network import monitoring_policies, node_policies
from tests.mocks import ROOT, engine_config, run, run_main
from tests.netpol import SKIP_REASON, Address, Pod, Verdict, checker, verdicts

pytestmark = pytest.mark.skipif(checker() is None, reason=SKIP_REASON)

NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

FRONTEND = Pod("frontend", {"app": "frontend", "security.istio.io/tlsMode": "istio"})
ORDERS = Pod("orders", {"app": "orders", "security.istio.io/tlsMode": "istio"})
PAYMENTS = Pod("payments", {"app": "payments", "security.istio.io/tlsMode": "istio"})
GATEWAY = Pod("istio-ingress", {"istio": "ingressgateway", "app": "istio-ingressgateway"})
ISTIOD = Pod("istio-system", {"app": "istiod", "istio.io/rev": "1-30"})
KUBE_DNS = Pod("kube-system", {"k8s-app": "kube-dns"})
PROMETHEUS = Pod("observability", {"app.kubernetes.io/name": "prometheus", "prometheus": "kps-prometheus"})
ALERTMANAGER = Pod("observability", {"app.kubernetes.io/name": "alertmanager"})
GRAFANA = Pod("observability", {"app.kubernetes.io/name": "grafana",
                                "app.kubernetes.io/instance": "kube-prometheus-stack"})
LOKI = Pod("observability", {"app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki"})
OTEL = Pod("observability", {"app.kubernetes.io/name": "opentelemetry-collector",
                             "app.kubernetes.io/instance": "otel-collector"})
ALLOY = Pod("observability-node", {"app.kubernetes.io/name": "alloy", "app.kubernetes.io/instance": "alloy"})
REPO_SERVER = Pod("argocd", {"app.kubernetes.io/component": "repo-server",
                             "app.kubernetes.io/name": "argocd-repo-server"})
CONTROLLER = Pod("argocd", {"app.kubernetes.io/component": "application-controller",
                            "app.kubernetes.io/name": "argocd-application-controller"})
RUNNER = Pod("arc-platform", {"actions.github.com/scale-set-name": "platform", "app.kubernetes.io/component": "runner"})
GITHUB = Address("140.82.112.3")
NODE = Address("10.20.12.7")  # a node of the dev VPC (10.20.0.0/16): kubelet, node-exporter
API_SERVER = Address("10.20.33.4")  # an EKS control-plane ENI in the VPC
OTHER_PRIVATE = Address("192.168.7.7")  # a private address outside the VPC
INTERNET = Address("52.94.236.248")
METADATA = Address("169.254.169.254")

Side = Literal["both", "egress", "ingress"]
Row = tuple[str, Pod | Address, Pod | Address, int, str, bool, Side]

ROWS: list[Row] = [
    # The declared call graph, and nothing else, in the application namespaces.
    ("frontend calls orders", FRONTEND, ORDERS, 8080, "TCP", True, "both"),
    ("orders calls payments", ORDERS, PAYMENTS, 9090, "TCP", True, "both"),
    ("frontend skips orders to reach payments", FRONTEND, PAYMENTS, 9090, "TCP", False, "both"),
    ("payments calls back into orders", PAYMENTS, ORDERS, 8080, "TCP", False, "both"),
    ("the gateway reaches the exposed frontend", GATEWAY, FRONTEND, 8080, "TCP", True, "ingress"),
    ("the gateway reaches the unexposed orders", GATEWAY, ORDERS, 8080, "TCP", False, "ingress"),
    ("payments reaches its external host over HTTPS", PAYMENTS, INTERNET, 443, "TCP", True, "both"),
    ("orders has no external host", ORDERS, INTERNET, 443, "TCP", False, "both"),
    ("payments reaches the VPC", PAYMENTS, NODE, 443, "TCP", False, "both"),
    ("a sidecar reads the instance metadata service", PAYMENTS, METADATA, 80, "UDP", False, "both"),
    ("a sidecar fetches config from istiod", ORDERS, ISTIOD, 15012, "TCP", True, "egress"),
    ("a sidecar sends spans to the collector", ORDERS, OTEL, 4317, "TCP", True, "both"),
    ("a sidecar resolves names", FRONTEND, KUBE_DNS, 53, "UDP", True, "egress"),
    ("an app pod pushes straight to Loki", FRONTEND, LOKI, 3100, "TCP", False, "both"),
    # Prometheus scrapes exactly its targets.
    ("Prometheus scrapes Envoy", PROMETHEUS, FRONTEND, 15090, "TCP", True, "both"),
    ("Prometheus scrapes the agent", PROMETHEUS, PAYMENTS, 15020, "TCP", True, "both"),
    ("Prometheus dials the application port", PROMETHEUS, FRONTEND, 8080, "TCP", False, "both"),
    ("Prometheus scrapes a kubelet", PROMETHEUS, NODE, 10250, "TCP", True, "both"),
    ("Prometheus scrapes a node-exporter", PROMETHEUS, NODE, 9100, "TCP", True, "both"),
    ("Prometheus dials a node's SSH port", PROMETHEUS, NODE, 22, "TCP", False, "both"),
    # Pods share the VPC's addresses on EKS: the node allowances stop at a namespace that denies ingress.
    ("Prometheus dials an application pod's address on the kubelet port",
     PROMETHEUS, Pod("orders", {"app": "orders"}, ip="10.20.40.8"), 10250, "TCP", False, "both"),
    ("Prometheus scrapes istiod", PROMETHEUS, ISTIOD, 15014, "TCP", True, "egress"),
    ("Prometheus scrapes CoreDNS", PROMETHEUS, KUBE_DNS, 9153, "TCP", True, "egress"),
    ("Prometheus scrapes Alloy", PROMETHEUS, ALLOY, 12345, "TCP", True, "both"),
    ("Prometheus reaches the internet", PROMETHEUS, INTERNET, 443, "TCP", False, "both"),
    ("Prometheus reads the instance metadata service", PROMETHEUS, METADATA, 80, "TCP", False, "both"),
    # The rest of the monitoring namespace: its own pods, DNS and the API server.
    ("Grafana queries Prometheus", GRAFANA, PROMETHEUS, 9090, "TCP", True, "both"),
    ("Grafana queries Loki", GRAFANA, LOKI, 3100, "TCP", True, "both"),
    ("the collector exports to Tempo", OTEL, Pod("observability", {"app.kubernetes.io/instance": "tempo"}),
     4317, "TCP", True, "both"),
    ("Grafana's sidecar watches the API", GRAFANA, API_SERVER, 443, "TCP", True, "both"),
    ("Grafana resolves names", GRAFANA, KUBE_DNS, 53, "UDP", True, "egress"),
    ("Grafana scrapes a kubelet", GRAFANA, NODE, 10250, "TCP", False, "both"),
    ("Grafana reaches the internet", GRAFANA, INTERNET, 443, "TCP", False, "both"),
    ("Grafana reaches another private network", GRAFANA, OTHER_PRIVATE, 443, "TCP", False, "both"),
    ("Loki reads the instance metadata service", LOKI, METADATA, 80, "TCP", False, "both"),
    ("Alertmanager without receivers reaches the internet", ALERTMANAGER, INTERNET, 443, "TCP", False, "both"),
    ("Grafana reaches an application pod", GRAFANA, ORDERS, 8080, "TCP", False, "both"),
    # GitOps: only the repo server reaches the repository, only at public addresses.
    ("the repo server pulls the deployment repository", REPO_SERVER, GITHUB, 443, "TCP", True, "both"),
    ("the repo server reaches a private network", REPO_SERVER, OTHER_PRIVATE, 443, "TCP", False, "both"),
    ("the repo server reads the instance metadata service", REPO_SERVER, METADATA, 80, "TCP", False, "both"),
    ("the controller reaches the API server", CONTROLLER, API_SERVER, 443, "TCP", True, "both"),
    ("the controller reaches the internet", CONTROLLER, GITHUB, 443, "TCP", False, "both"),
    ("the controller reaches an application pod", CONTROLLER, ORDERS, 8080, "TCP", False, "both"),
    # CI runners: HTTPS to GitHub and the registry, nothing in the cluster, no metadata service.
    ("a runner reaches GitHub", RUNNER, GITHUB, 443, "TCP", True, "both"),
    ("a runner reads the instance metadata service", RUNNER, METADATA, 80, "TCP", False, "both"),
    ("a runner reaches an application pod", RUNNER, ORDERS, 8080, "TCP", False, "both"),
    ("a runner reaches Prometheus", RUNNER, PROMETHEUS, 9090, "TCP", False, "both"),
    ("a runner reaches a private network on SSH", RUNNER, OTHER_PRIVATE, 22, "TCP", False, "both"),
    # The node agents.
    ("Alloy pushes logs to Loki", ALLOY, LOKI, 3100, "TCP", True, "both"),
    ("Alloy discovers pods through the API", ALLOY, API_SERVER, 443, "TCP", True, "both"),
    ("Alloy reaches the internet", ALLOY, INTERNET, 443, "TCP", False, "both"),
    ("Alloy reaches Grafana", ALLOY, GRAFANA, 3000, "TCP", False, "both"),
]


def _manifests(recording: Any) -> list[dict[str, Any]]:
    return [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": r.inputs["metadata"]["name"], "namespace": r.inputs["metadata"]["namespace"]},
             "spec": r.inputs["spec"]} for r in recording.of_type(NETPOL)]


@pytest.fixture(scope="module")
def dev_policies() -> list[dict[str, Any]]:
    return _manifests(run_main(engine_config(ROOT / "Pulumi.dev.yaml")))


@pytest.fixture(scope="module")
def dev_verdicts(dev_policies: list[dict[str, Any]]) -> dict[str, Verdict]:
    judged = verdicts(dev_policies, [(src, dst, port, proto) for _, src, dst, port, proto, _, _ in ROWS])
    return {row[0]: verdict for row, verdict in zip(ROWS, judged, strict=True)}


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_dev_stack_connectivity(dev_verdicts: dict[str, Verdict], row: Row) -> None:
    name, _, _, _, _, expected, side = row
    verdict = dev_verdicts[name]
    got = {"egress": verdict.egress, "ingress": verdict.ingress, "both": verdict.allowed}[side]
    assert got is expected, f"{name}: expected {'allowed' if expected else 'denied'}, got {verdict}"


def test_the_monitoring_namespace_denies_egress_by_default(dev_policies: list[dict[str, Any]]) -> None:
    specs = {(p["metadata"]["namespace"], p["metadata"]["name"]): p["spec"] for p in dev_policies}
    for namespace in ("observability", "observability-node"):
        assert specs[(namespace, "default-deny-egress")] == {"podSelector": {}, "policyTypes": ["Egress"]}
    # The dev stack's VPC, not every private range, is where the nodes and the API server are.
    api = specs[("observability", "allow-egress-namespace-dns-api")]["egress"][2]
    assert api == {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 443}]}


def _observability_policies(args: ObservabilityArgs) -> list[dict[str, Any]]:
    return [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": name, "namespace": ns}, "spec": spec}
            for ns, specs in ((args.namespace, monitoring_policies(args)), (args.node_namespace, node_policies(args)))
            for name, spec in specs.items()]


def test_alertmanager_reaches_public_https_only_with_receivers() -> None:
    receiver = AlertReceiver(name="oncall", kind="pagerduty", secret="routing-key")
    with_receivers = ObservabilityArgs(alerting=AlertingArgs(receivers=(receiver,), default_receiver="oncall"),
                                       node_cidrs=("10.20.0.0/16",))
    connections = [(ALERTMANAGER, INTERNET, 443, "TCP"), (ALERTMANAGER, METADATA, 80, "TCP"),
                   (ALERTMANAGER, OTHER_PRIVATE, 443, "TCP"), (ALERTMANAGER, INTERNET, 80, "TCP"),
                   (GRAFANA, INTERNET, 443, "TCP")]
    judged = [v.allowed for v in verdicts(_observability_policies(with_receivers), connections)]
    assert judged == [True, False, False, False, False]
    without_receivers = dataclasses.replace(with_receivers, alerting=AlertingArgs())
    without = [v.allowed for v in verdicts(_observability_policies(without_receivers), connections)]
    assert without == [False, False, False, False, False]


def test_without_node_cidrs_the_api_and_nodes_are_any_private_address_but_link_local() -> None:
    connections = [(PROMETHEUS, OTHER_PRIVATE, 10250, "TCP"), (GRAFANA, Address("100.64.3.2"), 443, "TCP"),
                   (PROMETHEUS, METADATA, 10250, "TCP"), (PROMETHEUS, INTERNET, 10250, "TCP")]
    judged = [v.allowed for v in verdicts(_observability_policies(ObservabilityArgs()), connections)]
    assert judged == [True, True, False, False]
    kind = dataclasses.replace(ObservabilityArgs(), node_cidrs=("172.18.0.0/16",), api_server_port=6443)
    judged = [v.allowed for v in verdicts(_observability_policies(kind), [
        (GRAFANA, Address("172.18.0.2"), 6443, "TCP"), (GRAFANA, Address("172.18.0.2"), 443, "TCP"),
        (GRAFANA, OTHER_PRIVATE, 6443, "TCP")])]
    assert judged == [True, False, False]


def test_the_component_registers_what_the_checked_specs_say() -> None:
    """The specs judged above are the ones Observability registers (not a copy that could drift)."""
    args = ObservabilityArgs(grafana_admin_existing_secret="grafana-admin", node_cidrs=("10.1.0.0/16",))
    registered = _manifests(run(lambda: Observability("obs", args)))
    key = lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])  # noqa: E731
    assert sorted(registered, key=key) == sorted(_observability_policies(args), key=key)


@pytest.mark.parametrize(("request_text", "message"), [
    ("{}", 'needs both "policies" and "traffic"'),
    ('{"policies": [{"metadata": {"name": "deny"}, "spec": {"podSelector": {}}}], "traffic": []}',
     "has no metadata.namespace"),
    ('{"policies": [], "traffic": [{"Source": {"IP": "pod-a"}, "Destination": {"IP": "10.0.0.1"}, '
     '"Protocol": "TCP", "ResolvedPort": 80}]}', '"pod-a" is not an IP address'),
    ('{"policies": [], "traffic": [{"Source": {"IP": "10.0.0.2"}, "Destination": {"IP": "10.0.0.1"}, '
     '"Protocol": "tcp", "ResolvedPort": 80}]}', 'Protocol "tcp" is not TCP, UDP or SCTP'),
    ('{"policies": [{"metadata": {"name": "p", "namespace": "a"}, "spec": {"podSelector": {}, "egress": '
     '[{"to": [{"ipBlock": {"cidr": "bogus"}}]}]}}], "traffic": []}', '"bogus" is not a CIDR block'),
    ('{"policies": [], "traffic": []} trailing', "more after the request object"),
])
def test_the_checker_refuses_input_it_would_misread(request_text: str, message: str) -> None:
    import subprocess

    binary = checker()
    assert binary is not None
    done = subprocess.run([binary], input=request_text, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and message in done.stderr, done.stderr
