"""Pod Security policies beyond the corpus: levels, overrides, kinds, relaxations, missing/unknown values."""

from __future__ import annotations

from typing import Any

import pytest

from tests import packharness
from tests.packharness import UNKNOWN, Res, violations
from tests.policies.test_k8s_support import (
    APPROVED,
    POD,
    analyze,
    analyze_pack,
    deployment,
    good_container,
    good_pod_spec,
    mandatory,
)

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline import EXEMPTION_POLICY, PSS_POLICIES  # noqa: E402
from k8s_baseline.walker import POD_TEMPLATE_PATHS  # noqa: E402

PSS = [EXEMPTION_POLICY, *PSS_POLICIES]
BASELINE = {"pod-security-exemption": {"level": "baseline"}}


def failing(findings: list[Any]) -> set[str]:
    return {f.policy for f in findings if f.level == "mandatory"}


def test_compliant_workload_passes_every_pss_policy() -> None:
    assert failing(analyze(PSS, deployment())) == set()


def test_restricted_is_the_default_level() -> None:
    spec = good_pod_spec(securityContext={"seccompProfile": {"type": "RuntimeDefault"}})  # no runAsNonRoot
    findings = analyze(PSS, deployment(spec))
    assert failing(findings) == {"pss-run-as-non-root"}
    [finding] = mandatory(findings, "pss-run-as-non-root")
    assert "Deployment 'web': spec.template.spec.containers[0].securityContext.runAsNonRoot is not set" in (
        finding.message
    )


def test_level_baseline_passes_restricted_only_checks_but_keeps_baseline_ones() -> None:
    bare = {"containers": [{"name": "app", "image": "app:1"}]}  # fails every restricted check
    assert failing(analyze(PSS, deployment(bare), BASELINE)) == set()
    privileged = {"containers": [{"name": "app", "image": "app:1", "securityContext": {"privileged": True}}]}
    assert failing(analyze(PSS, deployment(privileged), BASELINE)) == {"pss-privileged"}
    assert {"pss-run-as-non-root", "pss-allow-privilege-escalation"} <= failing(
        analyze(PSS, deployment(bare))
    )


def test_invalid_level_stops_the_run() -> None:
    with pytest.raises(ValueError, match="key 'level' has value 'strict'"):
        analyze(PSS, deployment(), {"pod-security-exemption": {"level": "strict"}})


def test_restricted_replaces_the_baseline_capability_check() -> None:
    spec = good_pod_spec(
        containers=[
            good_container(
                securityContext={**_restricted_sc(), "capabilities": {"drop": ["ALL"], "add": ["NET_RAW"]}}
            )
        ]
    )
    assert failing(analyze(PSS, deployment(spec))) == {"pss-capabilities-restricted"}
    assert failing(analyze(PSS, deployment(spec), BASELINE)) == {"pss-capabilities-baseline"}


def _restricted_sc() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True}


def test_windows_pods_are_relaxed_as_upstream() -> None:
    # Upstream (policy v1.25+): no allowPrivilegeEscalation, seccomp or capabilities on Windows.
    windows = {
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": True},
        "containers": [{"name": "app", "image": "app:1"}],
    }
    assert failing(analyze(PSS, deployment(windows))) == set()
    linux = {**windows, "os": {"name": "linux"}}
    assert failing(analyze(PSS, deployment(linux))) == {
        "pss-allow-privilege-escalation",
        "pss-seccomp-profile-restricted",
        "pss-capabilities-restricted",
    }
    # runAsNonRoot is not relaxed for Windows.
    no_root_flag = {**windows, "securityContext": {}}
    assert failing(analyze(PSS, deployment(no_root_flag))) == {"pss-run-as-non-root"}


def test_user_namespace_pods_relax_root_checks_and_baseline_proc_mount() -> None:
    spec = good_pod_spec(
        hostUsers=False,
        securityContext={"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
        containers=[
            good_container(
                securityContext={
                    **_restricted_sc(),
                    "capabilities": {"drop": ["ALL"]},
                    "procMount": "Unmasked",
                }
            )
        ],
    )
    # runAsNonRoot / runAsUser are skipped (v1.35); restricted still forbids an unmasked /proc.
    assert failing(analyze(PSS, deployment(spec))) == {"pss-proc-mount-restricted"}
    assert failing(analyze(PSS, deployment(spec), BASELINE)) == set()
    host_users = {**spec, "hostUsers": True}
    assert failing(analyze(PSS, deployment(host_users), BASELINE)) == {"pss-proc-mount"}


@pytest.mark.parametrize("resource_type", sorted(POD_TEMPLATE_PATHS))
def test_every_pod_bearing_kind_is_checked(resource_type: str) -> None:
    path = POD_TEMPLATE_PATHS[resource_type]
    pod = {
        "spec": {"containers": [{"name": "app", "image": "app:1", "securityContext": {"privileged": True}}]}
    }
    props: dict[str, Any] = pod
    for key in reversed(path):
        props = {key: props}
    findings = analyze(PSS, Res(resource_type, {"metadata": {"name": "w"}, **props}, name="w"), BASELINE)
    [finding] = mandatory(findings, "pss-privileged")
    prefix = ".".join((*path, "spec")) if path else "spec"
    assert f"{prefix}.containers[0].securityContext.privileged is true" in finding.message


@pytest.mark.parametrize("list_name", ["initContainers", "containers", "ephemeralContainers"])
def test_every_container_list_is_checked(list_name: str) -> None:
    spec = good_pod_spec()
    spec[list_name] = [
        *spec.get(list_name, []),
        {"name": "x", "image": "x:1", "securityContext": {"privileged": True}},
    ]
    [finding] = mandatory(analyze(PSS, deployment(spec), BASELINE), "pss-privileged")
    index = len(spec[list_name]) - 1
    assert f"spec.template.spec.{list_name}[{index}].securityContext.privileged is true" in finding.message


def test_missing_values_do_not_crash() -> None:
    # No spec at all, a null securityContext, a container without anything: no crash, and the
    # restricted checks treat missing fields as Kubernetes' (insecure) defaults.
    assert (
        failing(analyze(PSS, Res("kubernetes:apps/v1:Deployment", {"metadata": {}}, name="empty"))) == set()
    )
    spec = {"securityContext": None, "containers": [{}]}
    assert failing(analyze(PSS, Res(POD, {"spec": spec}, name="p"))) == {
        "pss-allow-privilege-escalation",
        "pss-run-as-non-root",
        "pss-seccomp-profile-restricted",
        "pss-capabilities-restricted",
    }


def test_unknown_value_is_an_advisory_not_a_pass_or_a_crash() -> None:
    spec = good_pod_spec(
        containers=[
            good_container(
                securityContext={**_restricted_sc(), "capabilities": {"drop": ["ALL"]}, "privileged": UNKNOWN}
            )
        ]
    )
    findings = analyze(PSS, deployment(spec))
    assert mandatory(findings, "pss-privileged") == []
    [notice] = [f for f in findings if f.policy == "pss-privileged"]
    assert notice.level == "advisory" and "during preview" in notice.message
    assert "securityContext.privileged" in notice.message


def test_unknown_container_list_is_reported_for_every_container_check() -> None:
    findings = analyze(PSS, deployment(good_pod_spec(containers=UNKNOWN)))
    notices = {f.policy for f in findings if "during preview" in f.message}
    assert {"pss-privileged", "pss-run-as-non-root", "pss-capabilities-restricted"} <= notices
    assert failing(findings) == set()


def test_unknown_container_name_does_not_hide_a_violation() -> None:
    spec = good_pod_spec(
        containers=[{"name": UNKNOWN, "image": "a:1", "securityContext": {"privileged": True}}]
    )
    [finding] = mandatory(analyze(PSS, deployment(spec), BASELINE), "pss-privileged")
    assert "in this container" in finding.message


def test_other_kinds_are_ignored() -> None:
    config_map = Res("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "c"}, "data": {"a": "b"}})
    assert analyze_pack(config_map, APPROVED) == []


def test_auto_named_workload_is_labelled_by_its_resource_name() -> None:
    spec = {"containers": [{"name": "a", "image": "a:1", "securityContext": {"privileged": True}}]}
    workload = deployment(spec, name="api", namespace=None)
    workload.props["metadata"].pop("name")
    [finding] = violations(analyze(PSS, workload, BASELINE), "pss-privileged")
    assert "Deployment 'api (auto-named)'" in finding.message


def test_windows_override_quirk_matches_upstream() -> None:
    """PSA at restricted replaces capabilities_baseline by capabilities_restricted, which skips
    Windows pods, so a Windows pod adding NET_RAW passes restricted but fails baseline."""
    windows = {
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": True},
        "containers": [
            {"name": "w", "image": "w:1", "securityContext": {"capabilities": {"add": ["NET_RAW"]}}}
        ],
    }
    assert failing(analyze(PSS, deployment(windows))) == set()
    assert failing(analyze(PSS, deployment(windows), BASELINE)) == {"pss-capabilities-baseline"}


def test_unrelated_unknown_annotation_does_not_stop_the_apparmor_check() -> None:
    meta = {
        "annotations": {
            "checksum/config": UNKNOWN,
            "container.apparmor.security.beta.kubernetes.io/app": "unconfined",
        }
    }
    findings = analyze(PSS, deployment(template_metadata=meta))
    [finding] = mandatory(findings, "pss-apparmor-profile")
    assert "spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app']" in (
        finding.message
    )
    assert not [f for f in findings if "during preview" in f.message]
