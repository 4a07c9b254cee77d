"""The zero-trust-mesh pack as a whole: metadata of every policy, missing and unknown values,
and the pack started the way the Pulumi engine starts it."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from tests.packharness import ROOT, UNKNOWN, Res, analyze, analyze_stack
from tests.policies.mesh_helpers import BY_NAME, POLICIES, chart, istio

CONTROL = re.compile(r"^[A-Z]{2}-\d+(\(\d+\))?$")
SPEC_ITEMS = re.compile(r"^(SM-DR\d+|[A-Z]+-SR-\d+|MS-SS-\d+|C-[\d.]+(-\d+)?)$")
EXPECTED = {
    "peer-authentication-no-permissive",
    "authorization-allow-requires-from",
    "authorization-no-wildcard-principals",
    "authorization-no-negative-match-in-allow",
    "destination-rule-no-tls-disable",
    "destination-rule-tls-verifies-server",
    "gateway-no-wildcard-hosts",
    "gateway-https-redirect",
    "gateway-tls-min-version",
    "gateway-tls-credential-name",
    "virtual-service-no-wildcard-hosts",
    "sidecar-no-unrestricted-egress",
    "service-entry-no-wildcard-hosts",
    "helm-chart-version-pinned",
    "istiod-registry-only",
    "istiod-workload-cert-ttl",
    "istiod-enterprise-ca",
    "istiod-cni-enabled",
    "istiod-hold-application-until-proxy-starts",
    "telemetry-access-logging-not-disabled",
    "mesh-strict-mtls-exists",
    "mesh-default-deny-exists",
    "namespace-sidecar-injection",
    "workload-dedicated-service-account",
    "pod-injection-not-disabled",
}


def test_policy_set_is_complete_and_names_are_stable() -> None:
    assert set(BY_NAME) == EXPECTED and len(POLICIES) == len(EXPECTED)
    assert all(re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", name) for name in BY_NAME)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_metadata(policy: Any) -> None:
    fw = policy.framework
    assert fw.name == "NIST SP 800-53" and fw.version == "Rev. 5"
    assert CONTROL.match(fw.reference), fw.reference
    assert SPEC_ITEMS.match(fw.specification), fw.specification
    assert f"nist-800-53:{fw.reference}" in policy.tags and f"sp-800-204:{fw.specification}" in policy.tags
    assert policy.severity is not None and len(policy.description) > 20 and len(policy.remediation_steps) > 20
    expected_level = (
        EnforcementLevel.ADVISORY if "hold-application" in policy.name else EnforcementLevel.MANDATORY
    )
    assert policy.enforcement_level == expected_level
    for key, schema in policy.config_schema.properties.items() if policy.config_schema else []:
        assert "default" in schema and "description" in schema and "type" in schema, key


def _unknown_input(policy: Any) -> list[Res]:
    """A resource the policy reads whose relevant part is unknown (as in a preview of a new stack)."""
    name = policy.name
    kinds = {
        "peer-authentication": "PeerAuthentication",
        "authorization": "AuthorizationPolicy",
        "destination-rule": "DestinationRule",
        "gateway": "Gateway",
        "virtual-service": "VirtualService",
        "sidecar": "Sidecar",
        "service-entry": "ServiceEntry",
        "telemetry": "Telemetry",
    }
    for prefix, kind in kinds.items():
        if name.startswith(prefix):
            return [istio(kind, UNKNOWN)]
    if name.startswith(("istiod-", "helm-")):
        res = chart("istiod", {})
        res.props = {**res.props, "values": UNKNOWN, "version": UNKNOWN}  # type: ignore[misc]
        return [res]
    return [
        chart("istiod", {}),
        Res("kubernetes:core/v1:Namespace", {"metadata": {"name": "x", "labels": UNKNOWN}}),
        Res("kubernetes:apps/v1:Deployment", {"metadata": {"name": "w", "namespace": "x"}, "spec": UNKNOWN}),
        istio("PeerAuthentication", UNKNOWN, name="default"),
        istio("AuthorizationPolicy", UNKNOWN, name="allow-nothing"),
    ]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_unknown_values_give_an_advisory_notice_not_a_verdict(policy: Any) -> None:
    resources = _unknown_input(policy)
    if isinstance(policy, ResourceValidationPolicy):
        findings = [f for r in resources for f in analyze(policy, r)]
    else:
        findings = analyze_stack(policy, resources)
    assert findings, "an unknown value must be reported, never silently passed"
    assert all("during preview" in f.message and f.level == "advisory" for f in findings), findings


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_missing_values_never_crash(policy: Any) -> None:
    bare = [
        istio(kind, None)
        for kind in (
            "PeerAuthentication",
            "AuthorizationPolicy",
            "DestinationRule",
            "Gateway",
            "VirtualService",
            "Sidecar",
            "ServiceEntry",
            "Telemetry",
        )
    ]
    bare += [
        Res("kubernetes:helm.sh/v4:Chart", {"chart": "istiod"}),
        Res("kubernetes:core/v1:Namespace", {}),
        Res("kubernetes:apps/v1:Deployment", {}),
    ]
    if isinstance(policy, StackValidationPolicy):
        findings = analyze_stack(policy, bare)
    else:
        findings = [f for r in bare for f in analyze(policy, r)]
    assert all("during preview" not in f.message for f in findings)


def test_missing_values_read_as_insecure_defaults() -> None:
    from tests.policies.mesh_helpers import messages

    bare_istiod = Res("kubernetes:helm.sh/v4:Chart", {"chart": "istiod"})
    for policy in (
        "helm-chart-version-pinned",
        "istiod-registry-only",
        "istiod-workload-cert-ttl",
        "istiod-enterprise-ca",
        "istiod-cni-enabled",
    ):
        assert messages(policy, bare_istiod), policy


def _start_pack() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "policypacks/zero-trust-mesh"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.isdigit():
        proc.kill()
        raise AssertionError(
            f"pack did not print its port: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    return proc, int(line)


def test_pack_starts_as_the_engine_starts_it_and_serves_its_policies() -> None:
    proc, port = _start_pack()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
            assert info.name == "zero-trust-mesh"
            assert {p.name for p in info.policies} == EXPECTED
            strict = next(p for p in info.policies if p.name == "mesh-strict-mtls-exists")
            assert strict.framework.reference == "SC-8" and strict.framework.specification == "SM-DR6"
            assert "sp-800-204:SM-DR6" in strict.tags and strict.remediation_steps

            props = struct_pb2.Struct()
            props.update(
                {
                    "metadata": {"name": "default", "namespace": "istio-system"},
                    "spec": {"mtls": {"mode": "PERMISSIVE"}},
                }
            )
            request = analyzer_pb2.AnalyzeRequest(
                type="kubernetes:security.istio.io/v1:PeerAuthentication",
                properties=props,
                urn="urn:pulumi:dev::p::kubernetes:security.istio.io/v1:PeerAuthentication::mtls",
                name="mtls",
            )
            response = stub.Analyze(request, timeout=30)
            assert [d.policyName for d in response.diagnostics] == ["peer-authentication-no-permissive"]
    finally:
        proc.kill()
        proc.wait(timeout=10)
