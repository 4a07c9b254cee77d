"""Agreement with a public labelled corpus: the Kyverno policy library's Istio test resources.

Source: github.com/kyverno/policies (Apache-2.0), directory `istio/`, the `.chainsaw-test/` and
`.kyverno-test/` fixtures of five policies, at the commits named per case below. Each case is
restated here with only the fields both policies read (names, labels, modes, hosts), together
with the verdict Kyverno's own test expects. Fixtures that were not in the stored index
(pa-good.yaml, dr-good.yaml, ns-bad-somelabel.yaml) are not included.

Kyverno policy -> our policy:
  enforce-strict-mtls                 -> peer-authentication-no-permissive
  restrict-virtual-service-wildcard   -> virtual-service-no-wildcard-hosts
  enforce-sidecar-injection-namespace -> namespace-sidecar-injection
  prevent-disabling-injection-pods    -> pod-injection-not-disabled
  enforce-tls-hosts-host-subnets      -> destination-rule-no-tls-disable

Known, explained disagreements (asserted below, so a change in either direction is noticed):
  badcronjob01/02: Kyverno's fixture puts the annotation under `jobTemplate.spec.template.spec`
  (not `.metadata`), which is not a pod annotation at all; the apply fails for the malformed
  object, not for the annotation. Our policy reads the real pod template metadata and passes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.packharness import Res
from tests.policies.mesh_helpers import (
    chart,
    istio,
    meshed_namespace,
    messages,
    secure_istiod_values,
    stack_messages,
)

SRC = "kyverno/policies istio/"


@dataclass(frozen=True)
class Case:
    source: str  # path in the Kyverno repository @ commit
    name: str
    policy: str  # our policy
    fails: bool  # Kyverno's expected verdict
    resource: Res


def _ns(name: str, labels: dict[str, str] | None) -> Res:
    return Res(
        "kubernetes:core/v1:Namespace", {"metadata": {"name": name, "labels": labels or {}}}, name=name
    )


def _pod(name: str, annotations: dict[str, str]) -> Res:
    props = {
        "metadata": {"name": name, "namespace": "corpus", "annotations": annotations},
        "spec": {"serviceAccountName": name, "containers": [{"name": "busybox", "image": "busybox:1.35"}]},
    }
    return Res("kubernetes:core/v1:Pod", props, name=name)


def _deploy(name: str, annotations: dict[str, str]) -> Res:
    template = {
        "metadata": {"labels": {"app": "busybox"}, "annotations": annotations},
        "spec": {"containers": [{"name": "busybox", "image": "busybox:1.35"}]},
    }
    props = {"metadata": {"name": name, "namespace": "corpus"}, "spec": {"template": template}}
    return Res("kubernetes:apps/v1:Deployment", props, name=name)


def _cron(name: str, misplaced_annotations: dict[str, str]) -> Res:
    pod_spec: dict[str, Any] = {"annotations": misplaced_annotations, "containers": [{"name": "hello"}]}
    props = {
        "metadata": {"name": name, "namespace": "corpus"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec}}}},
    }
    return Res("kubernetes:batch/v1:CronJob", props, name=name)


OFF = {"sidecar.istio.io/inject": "false"}
ON = {"sidecar.istio.io/inject": "true"}
PA = "peer-authentication-no-permissive"
VS = "virtual-service-no-wildcard-hosts"
NS = "namespace-sidecar-injection"
POD = "pod-injection-not-disabled"
DR = "destination-rule-no-tls-disable"

CASES = [
    Case(
        f"{SRC}enforce-strict-mtls/.chainsaw-test/pa-bad.yaml@cf4800a",
        "pa-bad01",
        PA,
        True,
        istio("PeerAuthentication", {"mtls": {"mode": "PERMISSIVE"}}, "pa-bad01", "default", "v1beta1"),
    ),
    Case(
        f"{SRC}enforce-strict-mtls/.chainsaw-test/pa-bad.yaml@cf4800a",
        "pa-bad02",
        PA,
        True,
        istio("PeerAuthentication", {"mtls": {"mode": "DISABLE"}}, "pa-bad02", "default", "v1beta1"),
    ),
    Case(
        f"{SRC}enforce-strict-mtls/.chainsaw-test/pa-bad.yaml@cf4800a",
        "pa-bad03",
        PA,
        True,
        istio(
            "PeerAuthentication",
            {"selector": {"matchLabels": {"app": "finance"}}, "mtls": {"mode": "DISABLE"}},
            "pa-bad03",
            "default",
            "v1beta1",
        ),
    ),
    Case(
        f"{SRC}restrict-virtual-service-wildcard/.kyverno-test/resources.yaml@88d92ec",
        "badvs",
        VS,
        True,
        istio("VirtualService", {"hosts": ["*.com"]}, "badvs", "default", "v1alpha3"),
    ),
    Case(
        f"{SRC}restrict-virtual-service-wildcard/.kyverno-test/resources.yaml@88d92ec",
        "goodvs",
        VS,
        False,
        istio("VirtualService", {"hosts": ["foo.com"]}, "goodvs", "default", "v1alpha3"),
    ),
    Case(
        f"{SRC}restrict-virtual-service-wildcard/.chainsaw-test/bad-vs.yaml@bd883fe",
        "badvs01",
        VS,
        True,
        istio("VirtualService", {"hosts": ["*.com", "foo.com"]}, "badvs01", "default", "v1alpha3"),
    ),
    Case(
        f"{SRC}restrict-virtual-service-wildcard/.chainsaw-test/bad-vs.yaml@bd883fe",
        "badvs02",
        VS,
        True,
        istio("VirtualService", {"hosts": ["bar.com", "*.*"]}, "badvs02", "default", "v1alpha3"),
    ),
    Case(
        f"{SRC}enforce-sidecar-injection-namespace/.chainsaw-test/ns-bad-disabled.yaml@cf4800a",
        "bad-istio-sinj01",
        NS,
        True,
        _ns("bad-istio-sinj01", {"istio-injection": "disabled"}),
    ),
    Case(
        f"{SRC}enforce-sidecar-injection-namespace/.chainsaw-test/ns-bad-nolabel.yaml@bd883fe",
        "bad-istio-sinj03",
        NS,
        True,
        _ns("bad-istio-sinj03", None),
    ),
    Case(
        f"{SRC}enforce-sidecar-injection-namespace/.chainsaw-test/ns-good.yaml@cf4800a",
        "good-istio-sinj01",
        NS,
        False,
        _ns("good-istio-sinj01", {"istio-injection": "enabled"}),
    ),
    Case(
        f"{SRC}enforce-sidecar-injection-namespace/.chainsaw-test/ns-good.yaml@cf4800a",
        "good-istio-sinj02",
        NS,
        False,
        _ns("good-istio-sinj02", {"foo": "disabled", "istio-injection": "enabled", "bar": "enabled"}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/pod-bad.yaml@5045ac9",
        "badpod01",
        POD,
        True,
        _pod("badpod01", {"app.k8s.io/name": "badpod01", **OFF}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/pod-bad.yaml@5045ac9",
        "badpod02",
        POD,
        True,
        _pod("badpod02", {**OFF, "app.k8s.io/name": "badpod02"}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/pod-good.yaml@5751ade",
        "goodpod01",
        POD,
        False,
        _pod("goodpod01", {"app.k8s.io/name": "goodpod01", **ON}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/pod-good.yaml@5751ade",
        "goodpod02",
        POD,
        False,
        _pod("goodpod02", {"app.k8s.io/name": "goodpod02"}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/podcontroller-bad.yaml@10f3f76",
        "baddeploy01",
        POD,
        True,
        _deploy("baddeploy01", {**OFF, "app.k8s.io/name": "busybox"}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/podcontroller-bad.yaml@10f3f76",
        "baddeploy02",
        POD,
        True,
        _deploy("baddeploy02", {"app.k8s.io/name": "busybox", **OFF}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/podcontroller-bad.yaml@10f3f76",
        "badcronjob01",
        POD,
        True,
        _cron("badcronjob01", {"app.k8s.io/name": "busybox", **OFF}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/podcontroller-bad.yaml@10f3f76",
        "badcronjob02",
        POD,
        True,
        _cron("badcronjob02", {**OFF, "app.k8s.io/name": "busybox"}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/podcontroller-good.yaml@5751ade",
        "gooddeploy01",
        POD,
        False,
        _deploy("gooddeploy01", {"app.k8s.io/name": "busybox"}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/podcontroller-good.yaml@5751ade",
        "gooddeploy02",
        POD,
        False,
        _deploy("gooddeploy02", {"app.k8s.io/name": "busybox", **ON}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/podcontroller-good.yaml@5751ade",
        "goodcronjob01",
        POD,
        False,
        _cron("goodcronjob01", {"app.k8s.io/name": "busybox"}),
    ),
    Case(
        f"{SRC}prevent-disabling-injection-pods/.chainsaw-test/podcontroller-good.yaml@5751ade",
        "goodcronjob02",
        POD,
        False,
        _cron("goodcronjob02", {"app.k8s.io/name": "busybox", **ON}),
    ),
    Case(
        f"{SRC}enforce-tls-hosts-host-subnets/.chainsaw-test/dr-bad.yaml@cf4800a",
        "bad-dr01",
        DR,
        True,
        istio(
            "DestinationRule",
            {
                "host": "ratings.prod.svc.cluster.local",
                "trafficPolicy": {"loadBalancer": {"simple": "LEAST_REQUEST"}, "tls": {"mode": "DISABLE"}},
            },
            "bad-dr01",
            "default",
            "v1alpha3",
        ),
    ),
    Case(
        f"{SRC}enforce-tls-hosts-host-subnets/.chainsaw-test/dr-bad.yaml@cf4800a",
        "bad-dr02",
        DR,
        True,
        istio(
            "DestinationRule",
            {"host": "ratings.prod.svc.cluster.local", "trafficPolicy": {"tls": {"mode": "DISABLE"}}},
            "bad-dr02",
            "default",
            "v1alpha3",
        ),
    ),
]

EXPLAINED_DISAGREEMENTS = {"badcronjob01", "badcronjob02"}


def our_verdict(case: Case) -> bool:
    """True when our policy reports the case. Stack policies see the case inside a meshed stack."""
    if case.policy == NS:
        return bool(stack_messages(NS, [chart("istiod", secure_istiod_values()), case.resource]))
    if case.policy == POD:
        return bool(stack_messages(POD, [meshed_namespace("corpus"), case.resource]))
    return bool(messages(case.policy, case.resource))


def test_agreement_with_kyverno_istio_corpus() -> None:
    disagree = {c.name for c in CASES if our_verdict(c) != c.fails}
    agreed = len(CASES) - len(disagree)
    print(f"kyverno/policies istio corpus: {agreed}/{len(CASES)} cases agree; explained: {sorted(disagree)}")
    assert len(CASES) == 25
    assert disagree == EXPLAINED_DISAGREEMENTS
    assert agreed == 23


def test_corpus_covers_both_verdicts_for_each_policy_with_good_fixtures() -> None:
    for policy in (VS, NS, POD):
        verdicts = {c.fails for c in CASES if c.policy == policy}
        assert verdicts == {True, False}, policy
