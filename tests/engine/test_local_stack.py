"""The platform's `local` stack (Pulumi.local.yaml) through the real Pulumi engine, and against preflight.

What is REAL here: the Pulumi CLI v3.274.1 and the Kubernetes provider (built from the Go module proxy
by tools/build-engine.sh), the engine's planning, state (file backend) and analyzer protocol, the
platform program (__main__.py and components/, run by the Python SDK's own LanguageServer through the
CLI's --client flag), every policy pack in policypacks/ with its dev config (run by the pulumi-policy
SDK, started as a binary analyzer by tools/engine/policy_pack_launcher.py), Helm chart rendering by
the provider's helm/v4 Chart, the provider's render-to-directory mode, and kubernetes-validate's
Kubernetes schemas. preflight runs as users run it (`python -m preflight -s local ...`).

What is SUBSTITUTED: the CONTENTS OF EVERY HELM CHART. No chart repository is reachable here, so the
stack's chartSources point at small stand-in charts written for this test
(tests/engine/fixtures/charts/; each Chart.yaml names the upstream chart it stands in for). They
render one to four objects shaped like the upstream chart's main workloads (and, where the upstream
chart installs them, open-schema CRDs of the kinds the platform uses), honouring the values the
components pass. Violations found on chart children therefore describe the stand-ins, which copy the
upstream defaults that matter to the packs (e.g. istiod requests without limits, the gateway's
`image: auto`), not the upstream charts themselves. Also substituted (tools/engine/README.md): the Go
Python language host, and the provider's version (a pseudo-version before v4.25.0 instead of v4.34.2).

Findings about the engine itself, asserted below:
- Render mode refuses a kubeconfig ("kubeconfig" arg is not compatible with "renderYamlToDirectory"),
  and needs the CRD of every custom kind in the program (no cluster to ask if a kind is namespaced).
- Plain `preview --json` carries no policy violations; PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true makes
  --json stream the engine events, policy events included. They are parsed here.
- The engine hands components, including the remote helm/v4 Chart, to the packs with EMPTY inputs
  (pulumi/pulumi#10533, pulumi/pulumi-kubernetes#2144), while preflight hands the packs the inputs the
  program sent. Policies that read a Chart's `chart`/`version`/`values` therefore differ (see
  EMPTY_PROPS below).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.local_stack import (
    PACKS,
    RENDER_DIR,
    ROOT,
    Finding,
    Run,
    Validation,
    copy_program,
    engine,
    pack_args,
    policy_events,
    preflight,
    preflight_findings,
    validate_manifests,
)

BIN = ROOT / ".tools" / "bin"
if shutil.which("go") is None:
    pytest.skip(
        "Go is not installed: the engine tests need Go >= 1.26.6 to build the Pulumi CLI (tools/build-engine.sh)",
        allow_module_level=True,
    )
if not ((BIN / "pulumi").exists() and (BIN / "pulumi-resource-kubernetes").exists()):
    pytest.skip(
        f"the Pulumi engine is not built in {BIN}: run `python3 dev.py engine` (first build 13-20 min)",
        allow_module_level=True,
    )

CHART = "kubernetes:helm.sh/v4:Chart"
# The platform's supported Kubernetes versions (components/cluster_args.py), all in kubernetes-validate 1.37.0.
KUBERNETES_VERSIONS = ("1.32.0", "1.33.0", "1.34.0")
# Insecure options turned on for the agreement of first-party findings and for the exit code.
INSECURE = {"mtlsModeInsecure": "PERMISSIVE", "allowAnyOutboundInsecure": True}

# --- why the two sides differ (every difference must be one of these) ------------------------------

CHART_CHILD = "chart child: the engine renders helm/v4 Charts and registers each object, preflight sees only the Chart"
EMPTY_PROPS = ("empty component inputs: the engine passes the Chart component to the packs with no inputs "
               "(pulumi/pulumi#10533), preflight passes the chart/version/values the program sent")
# Policies that identify or inspect a Chart by its inputs.
CHART_INPUT_POLICIES = frozenset({
    "helm-chart-version-pinned", "istiod-registry-only", "istiod-workload-cert-ttl", "istiod-enterprise-ca",
    "istiod-cni-enabled", "istiod-hold-application-until-proxy-starts",  # zero-trust-mesh
    "observability-signals-present", "grafana-admin-credentials-from-secret",  # observability-baseline
    "cicd-gitops-not-cluster-admin", "cicd-runner-pods-not-privileged",  # cicd-baseline
})

# --- what the real preview reports on the local stack as committed (dev policy config) ------------

STAND_IN_WORKLOADS = {  # Pulumi names of the stand-in charts' workloads the packs flag
    "argocd-controller": "platform-gitops-argocd:argocd/argocd-application-controller",
    "argocd-repo": "platform-gitops-argocd:argocd/argocd-repo-server",
    "argocd-server": "platform-gitops-argocd:argocd/argocd-server",
    "cni": "platform-mesh-cni:istio-cni/istio-cni-node",
    "gateway": "platform-mesh-ingressgateway:istio-ingress/istio-ingressgateway",
    "istiod": "platform-mesh-istiod-1-30:istio-system/istiod-1-30",
    "alloy": "platform-observability-alloy:observability-node/alloy",
    "kiali": "platform-observability-kiali-server:observability/kiali",
    "grafana": "platform-observability-kube-prometheus-stack:observability/grafana",
    "operator": "platform-observability-kube-prometheus-stack:observability/kps-operator",
    "node-exporter": "platform-observability-kube-prometheus-stack:observability-node/kps-prometheus-node-exporter",
    "loki": "platform-observability-loki:observability/loki",
    "otel": "platform-observability-opentelemetry-collector:observability/otel-collector",
    "tempo": "platform-observability-tempo:observability/tempo",
}
CHARTS = ("platform-gitops-argocd", "platform-mesh-base", "platform-mesh-cni", "platform-mesh-ingressgateway",
          "platform-mesh-istiod-1-30", "platform-observability-alloy", "platform-observability-kiali-server",
          "platform-observability-kube-prometheus-stack", "platform-observability-loki",
          "platform-observability-opentelemetry-collector", "platform-observability-tempo")


MESH_EVIDENCE = "<an Istio resource of the sample app>"


def _w(*keys: str) -> set[str]:
    return {STAND_IN_WORKLOADS[k] for k in keys}


REAL_PREVIEW: dict[tuple[str, str, str], set[str]] = {  # (pack, policy, level) -> resource names
    ("kubernetes-baseline", "image-digest-required", "advisory"): set(STAND_IN_WORKLOADS.values()),
    ("kubernetes-baseline", "pod-security-exemption", "advisory"): _w("cni", "alloy", "node-exporter", "gateway"),
}
# Not in it, though the packs see the Charts without inputs (EMPTY_PROPS): helm-chart-version-pinned
# does not judge a Chart it cannot see, and observability-signals-present recognises the charts by the
# `helm.sh/chart` label of their objects and reads the tracing provider from istiod's rendered mesh
# ConfigMap, so both pass on what the engine does show.


@dataclass
class Side:
    """One run of the stack: the real preview and preflight, on the same config and packs."""

    preview: Run
    real: list[Finding]
    preflight: Run
    out: Path  # preflight's report directory (graph.json, report.json)
    flagged: list[Finding]


@dataclass
class Rendered:
    up: Run
    render_dir: Path
    validation: Validation


def _side(tmp: Path, program: Path, config_file: Path | None = None) -> Side:
    """The real preview (streamed JSON) and preflight, each with every pack and its dev config."""
    preview = engine(program, tmp / "work", *pack_args(), "preview", "--json", stream_json=True)
    extra = ["--config-file", str(config_file)] if config_file else []
    pre = preflight(tmp / "preflight", *extra, *pack_args())
    found = preflight_findings(tmp / "preflight") if (tmp / "preflight" / "report.json").exists() else []
    return Side(preview, policy_events(preview.stdout), pre, tmp / "preflight", found)


def _insecure_program(program: Path) -> Path:
    stack_file = program / "Pulumi.local.yaml"
    doc = yaml.safe_load(stack_file.read_text())
    doc["config"]["devsecops-platform:mesh"].update(INSECURE)
    stack_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    return stack_file


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Side:
    tmp = tmp_path_factory.mktemp("local-secure")
    return _side(tmp, copy_program(tmp / "program"))


@pytest.fixture(scope="module")
def insecure(tmp_path_factory: pytest.TempPathFactory) -> Side:
    tmp = tmp_path_factory.mktemp("local-insecure")
    program = copy_program(tmp / "program")
    return _side(tmp, program, _insecure_program(program))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """`pulumi up` in render mode (no packs: they add nothing to what is written)."""
    tmp = tmp_path_factory.mktemp("local-up")
    program = copy_program(tmp / "program")
    up = engine(program, tmp / "work", "up", "--yes")
    render_dir = program / RENDER_DIR
    return Rendered(up, render_dir, validate_manifests(render_dir, KUBERNETES_VERSIONS))


def _table(findings: Iterable[Finding]) -> dict[tuple[str, str, str], set[str]]:
    table: dict[tuple[str, str, str], set[str]] = {}
    for f in findings:
        # This stack policy reports on the first Istio resource it meets, which varies with
        # registration order (e.g. platform-app-frontend-authz or platform-app-orders-sidecar).
        istio = f.resource_type.split(":")[1].endswith(".istio.io/v1") if f.resource_type else False
        name = MESH_EVIDENCE if f.policy == "observability-signals-present" and istio else f.resource
        table.setdefault((f.pack, f.policy, f.level), set()).add(name)
    return table


# --- the real preview ------------------------------------------------------------------------------


def test_real_preview_with_every_pack_reports_these_violations(secure: Side) -> None:
    # No mandatory violation: the secure stack passes every pack (the insecure one exits 1, below).
    assert secure.preview.code == 0, secure.preview.stderr[-3000:]
    assert _table(secure.real) == REAL_PREVIEW
    events = Counter(f.pack for f in secure.real)  # events, not unique keys: alloy has two images
    assert events == {"kubernetes-baseline": 21}
    # aws-baseline and cicd-baseline ran (below) and found nothing on this Kubernetes-only stack.
    summaries = [json.loads(line)["policyAnalyzeStackSummaryEvent"] for line in secure.preview.stdout.splitlines()
                 if '"policyAnalyzeStackSummaryEvent"' in line]
    assert sorted(s["policyPackName"] for s in summaries) == sorted(PACKS)


def test_real_preview_messages_name_the_field(secure: Side) -> None:
    by_key = {(f.policy, f.resource): f.message for f in secure.real}
    # The CNI agent's writable root is a configured exemption, recorded (advisory), not silent.
    cni_exemptions = [f.message for f in secure.real
                      if (f.policy, f.resource) == ("pod-security-exemption", STAND_IN_WORKLOADS["cni"])]
    assert any("read-only-root-filesystem" in m and "policyExemptions" in m for m in cni_exemptions), cni_exemptions
    # So is the gateway's `image: auto`, which istiod's injection replaces at admission.
    gateway_exemptions = " ".join(f.message for f in secure.real if (f.policy, f.resource) == (
        "pod-security-exemption", STAND_IN_WORKLOADS["gateway"]))
    assert "allowed-image-registries" in gateway_exemptions and "image-tag-pinned" in gateway_exemptions
    # The mesh charts' `resources` values (requests and a memory limit) reach the rendered pods.
    assert not [f for f in secure.real if f.policy == "container-resources"]
    # Every namespace holding workloads, the chart-only `observability` included, denies by default.
    assert not [key for key in by_key if key[0] == "namespace-default-deny"]
    # The Chart reaches the pack with no inputs: it is not reported unpinned for lack of a view.
    assert not [f for f in secure.real if f.policy == "helm-chart-version-pinned"]


def test_real_preview_plans_every_resource(secure: Side) -> None:
    summary = [json.loads(line)["summaryEvent"] for line in secure.preview.stdout.splitlines()
               if '"summaryEvent"' in line]
    assert summary and summary[0]["resourceChanges"] == {"create": 152}


# --- up in render mode ---------------------------------------------------------------------------


def test_up_renders_every_kubernetes_object_to_disk(rendered: Rendered) -> None:
    assert rendered.up.code == 0, rendered.up.stdout[-3000:] + rendered.up.stderr[-3000:]
    assert "+ 152 created" in rendered.up.stdout
    # 152 resources = 131 Kubernetes objects + the stack, the provider, 8 components and 11 Charts.
    files = sorted(rendered.render_dir.rglob("*.yaml"))
    assert len(files) == 131
    assert {f.parent.name for f in files} == {"0-crd", "1-manifest"}  # CRDs first, as the provider orders them
    assert len(list((rendered.render_dir / "0-crd").iterdir())) == 15


def test_rendered_manifests_are_valid_against_the_kubernetes_schemas(rendered: Rendered) -> None:
    v = rendered.validation
    assert v.errors == []
    assert sum(v.builtin.values()) == 99  # every built-in object, strict, at 1.32, 1.33 and 1.34
    assert v.builtin == {
        "ConfigMap": 9, "CustomResourceDefinition": 15, "DaemonSet": 3, "Deployment": 11, "Namespace": 9,
        "NetworkPolicy": 25, "PodDisruptionBudget": 3, "Role": 6, "RoleBinding": 6, "Secret": 1, "Service": 4,
        "ServiceAccount": 3, "StatefulSet": 3, "ValidatingWebhookConfiguration": 1,
    }


def _pod_spec_of(render_dir: Path, pattern: str) -> dict[str, Any]:
    return dict(yaml.safe_load(next(render_dir.rglob(pattern)).read_text())["spec"]["template"])


def test_chart_workloads_declare_or_drop_their_service_account_token(rendered: Rendered) -> None:
    """The components' chart values reach the rendered pods (automount-service-account-token)."""
    istiod = _pod_spec_of(rendered.render_dir, "apps_v1-deployment-*istiod*.yaml")
    assert "watches" in istiod["metadata"]["annotations"]["devsecops.io/automount-reason"]
    for workload in ("*loki*", "*tempo*"):
        assert _pod_spec_of(rendered.render_dir, f"apps_v1-statefulset-{workload}.yaml")[
            "spec"]["automountServiceAccountToken"] is False
    repo_server = _pod_spec_of(rendered.render_dir, "apps_v1-deployment-*repo-server*.yaml")
    assert repo_server["spec"]["automountServiceAccountToken"] is False


def test_custom_resources_match_the_crds_rendered_with_them(rendered: Rendered) -> None:
    # Their specs are not schema-checked: upstream CRD schemas are not available offline and the
    # stand-in CRDs are open (x-kubernetes-preserve-unknown-fields).
    assert rendered.validation.custom == {
        "AppProject": 1, "Application": 1, "AuthorizationPolicy": 5, "DestinationRule": 3, "Gateway": 1,
        "PeerAuthentication": 1, "PodMonitor": 2, "Prometheus": 1, "PrometheusRule": 5, "RequestAuthentication": 2,
        "ServiceEntry": 1, "ServiceMonitor": 1, "Sidecar": 3, "Telemetry": 1, "VirtualService": 4,
    }


def test_the_validator_catches_an_invalid_manifest(rendered: Rendered, tmp_path: Path) -> None:
    """The validation above can fail: a wrong type and an unknown field in a rendered Deployment."""
    source = next(rendered.render_dir.rglob("apps_v1-deployment-*istiod*.yaml"))
    doc = yaml.safe_load(source.read_text())
    doc["spec"]["replicas"] = "two"
    doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    (tmp_path / "1-manifest").mkdir()
    (tmp_path / "1-manifest" / source.name).write_text(yaml.safe_dump(doc))
    errors = validate_manifests(tmp_path, KUBERNETES_VERSIONS).errors
    assert len(errors) == 1 and "istiod-1-30" in errors[0]


# --- agreement with preflight --------------------------------------------------------------------


def explain(finding: Finding) -> str | None:
    """Why a finding is on one side only, or None when both sides should report it."""
    if finding.in_chart:
        return CHART_CHILD
    if finding.policy in CHART_INPUT_POLICIES and (finding.resource_type in ("", CHART)
                                                   or finding.policy == "observability-signals-present"):
        return EMPTY_PROPS
    return None


def _agreement(side: Side) -> tuple[set[tuple[str, str, str]], Counter[str], Counter[str]]:
    """(findings both report, explained real-only counts, explained preflight-only counts)."""
    real_only = {f.key: explain(f) for f in side.real}
    preflight_only = {f.key: explain(f) for f in side.flagged}
    both = {k for k, why in real_only.items() if why is None}
    assert both == {k for k, why in preflight_only.items() if why is None}, (
        "unexplained difference between the real preview and preflight")
    return both, Counter(w for w in real_only.values() if w), Counter(w for w in preflight_only.values() if w)


def test_preflight_agrees_with_the_real_preview_on_the_secure_stack(secure: Side) -> None:
    assert secure.preflight.code == 0, secure.preflight.stdout[-2000:] + secure.preflight.stderr[-2000:]
    both, real_only, preflight_only = _agreement(secure)
    # Neither side finds anything on the program's own resources ...
    assert both == set()
    assert secure.flagged == []
    # ... and every real finding is one of the explained differences (unique (policy, resource) keys):
    assert real_only == {CHART_CHILD: 18}
    assert preflight_only == Counter()


def test_preflight_agrees_on_first_party_findings_with_insecure_options(insecure: Side) -> None:
    assert insecure.preflight.code == 1 and insecure.preview.code == 1
    both, real_only, preflight_only = _agreement(insecure)
    # mesh.mtlsModeInsecure: PERMISSIVE is on the PeerAuthentication, which both sides see:
    assert both == {
        ("peer-authentication-no-permissive", "platform-mesh-mtls", "mandatory"),
        ("mesh-strict-mtls-exists", "platform-mesh-mtls", "mandatory"),
        # "no STRICT PeerAuthentication": names no resource, so it is the root Stack's (on both sides
        # since preflight attributes it as the engine does).
        ("mesh-strict-mtls-exists", "devsecops-platform-local", "mandatory"),
    }
    # mesh.allowAnyOutboundInsecure is in the istiod Chart's values: only preflight can see it.
    only_preflight = {f.key for f in insecure.flagged} - both
    assert only_preflight == {("istiod-registry-only", "platform-mesh-istiod-1-30", "mandatory")}
    assert preflight_only == {EMPTY_PROPS: 1}
    assert real_only == {CHART_CHILD: 18}


# --- exit codes: a named insecure option fails the preview ---------------------------------------


@pytest.fixture(scope="module")
def zero_trust_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """zero-trust-mesh alone, before and after mesh.mtlsModeInsecure: PERMISSIVE.

    Its dev config plus helm-chart-version-pinned disabled: under the engine every Chart reaches the
    pack without inputs (see EMPTY_PROPS), so that policy fails on every chart whatever its version.
    With it disabled the secure stack passes, which makes the exit code the insecure option's doing."""
    tmp = tmp_path_factory.mktemp("local-exit")
    config = json.loads((ROOT / "policypacks" / "config" / "dev" / "zero-trust-mesh.json").read_text())
    config["helm-chart-version-pinned"] = "disabled"
    (tmp / "zero-trust-mesh.json").write_text(json.dumps(config))
    packs = ["--policy-pack", str(ROOT / "policypacks" / "zero-trust-mesh"),
             "--policy-pack-config", str(tmp / "zero-trust-mesh.json")]
    program = copy_program(tmp / "program")
    secure_run = engine(program, tmp / "work", *packs, "preview")
    stack_file = program / "Pulumi.local.yaml"
    doc = yaml.safe_load(stack_file.read_text())
    doc["config"]["devsecops-platform:mesh"]["mtlsModeInsecure"] = "PERMISSIVE"
    stack_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    return secure_run, engine(program, tmp / "work", *packs, "preview")


def test_the_secure_local_stack_passes_zero_trust_mesh(zero_trust_only: tuple[Run, Run]) -> None:
    secure_run, _ = zero_trust_only
    assert secure_run.code == 0, secure_run.stdout[-3000:] + secure_run.stderr[-3000:]
    assert "zero-trust-mesh@v0.1.0" in secure_run.stdout and "[mandatory]" not in secure_run.stdout


def test_permissive_mtls_fails_the_preview_with_exit_code_1(zero_trust_only: tuple[Run, Run]) -> None:
    _, insecure_run = zero_trust_only
    out = insecure_run.stdout
    assert insecure_run.code == 1, out[-3000:] + insecure_run.stderr[-3000:]
    assert re.search(r"\[mandatory\] \[severity: critical\]\s+peer-authentication-no-permissive\s+"
                     r"\(kubernetes:security\.istio\.io/v1:PeerAuthentication: platform-mesh-mtls\)", out), out
    assert "spec.mtls.mode is PERMISSIVE: plaintext is accepted" in out
    assert "error: preview failed" in out
