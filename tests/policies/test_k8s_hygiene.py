"""container-resources, read-only-root-filesystem, no-default-service-account,
automount-service-account-token."""

from __future__ import annotations

from typing import Any

import pytest

from tests import packharness
from tests.packharness import UNKNOWN
from tests.policies.test_k8s_support import POD, analyze, deployment, good_container, good_pod_spec

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline.hygiene import HYGIENE_POLICIES  # noqa: E402


def run(policy: str, spec: dict[str, Any], **kwargs: Any) -> list[packharness.Finding]:
    return packharness.violations(analyze(HYGIENE_POLICIES, deployment(spec, **kwargs)), policy)


def test_compliant_workload_passes_all_hygiene_policies() -> None:
    assert analyze(HYGIENE_POLICIES, deployment()) == []


# --- container-resources -------------------------------------------------------------------------


def test_resources_fail_when_missing() -> None:
    spec = good_pod_spec(containers=[good_container(resources={"requests": {"cpu": "100m"}})])
    [finding] = run("container-resources", spec)
    assert finding.level == "mandatory"
    assert (
        "spec.template.spec.containers[0].resources sets no requests.memory, limits.memory" in finding.message
    )


def test_resources_accept_limits_for_requests_and_pod_level_resources() -> None:
    limits_only = good_container(resources={"limits": {"cpu": "1", "memory": "1Gi"}})
    assert run("container-resources", good_pod_spec(containers=[limits_only])) == []
    pod_level = good_pod_spec(
        resources={"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
        containers=[good_container(resources=None)],
    )
    assert run("container-resources", pod_level) == []


def test_resources_check_init_containers_but_not_ephemeral_ones() -> None:
    spec = good_pod_spec(
        initContainers=[good_container("init", resources={})],
        ephemeralContainers=[{"name": "debug", "image": "busybox:1"}],
    )
    [finding] = run("container-resources", spec)
    assert (
        "initContainers[0].resources sets no requests.cpu, requests.memory, limits.memory" in finding.message
    )


def test_resources_unknown_quantity_is_a_preview_advisory() -> None:
    spec = good_pod_spec(containers=[good_container(resources={"requests": {"cpu": UNKNOWN}})])
    findings = analyze(HYGIENE_POLICIES, deployment(spec))
    [notice] = [f for f in findings if f.policy == "container-resources"]
    assert notice.level == "advisory" and "during preview" in notice.message


# --- read-only-root-filesystem -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), [(False, "is false"), (None, "is not set")])
def test_read_only_root_fails_unless_true(value: bool | None, shown: str) -> None:
    context = {**good_container()["securityContext"], "readOnlyRootFilesystem": value}
    [finding] = run(
        "read-only-root-filesystem", good_pod_spec(containers=[good_container(securityContext=context)])
    )
    assert f"containers[0].securityContext.readOnlyRootFilesystem {shown}; set it to true" in finding.message


def test_read_only_root_passes_when_true_and_skips_windows_pods() -> None:
    assert run("read-only-root-filesystem", good_pod_spec()) == []
    windows = good_pod_spec(os={"name": "windows"}, containers=[{"name": "w", "image": "w:1"}])
    assert run("read-only-root-filesystem", windows) == []


# --- no-default-service-account ------------------------------------------------------------------


def test_service_account_passes_a_dedicated_account() -> None:
    assert run("no-default-service-account", good_pod_spec(serviceAccountName="web")) == []
    # The deprecated alias still names the account.
    assert (
        run("no-default-service-account", good_pod_spec(serviceAccountName=None, serviceAccount="web")) == []
    )


@pytest.mark.parametrize(("value", "shown"), [("default", "is 'default'"), (None, "is not set")])
def test_service_account_fails_default_or_missing(value: str | None, shown: str) -> None:
    [finding] = run("no-default-service-account", good_pod_spec(serviceAccountName=value))
    assert f"spec.template.spec.serviceAccountName {shown}" in finding.message


# --- automount-service-account-token -------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), [(True, "is true"), (None, "is not set")])
def test_automount_fails_unless_false(value: bool | None, shown: str) -> None:
    [finding] = run("automount-service-account-token", good_pod_spec(automountServiceAccountToken=value))
    assert f"spec.template.spec.automountServiceAccountToken {shown}" in finding.message
    assert "devsecops.io/automount-reason" in finding.message


def test_automount_passes_false_or_a_declared_reason() -> None:
    assert run("automount-service-account-token", good_pod_spec()) == []
    reason = {"annotations": {"devsecops.io/automount-reason": "operator watches its CRDs"}}
    spec = good_pod_spec(automountServiceAccountToken=True)
    assert run("automount-service-account-token", spec, template_metadata=reason) == []
    assert run("automount-service-account-token", spec, metadata=reason) == []


def test_automount_empty_reason_is_not_a_declaration() -> None:
    blank = {"annotations": {"devsecops.io/automount-reason": "  "}}
    spec = good_pod_spec(automountServiceAccountToken=None)
    assert run("automount-service-account-token", spec, template_metadata=blank)


def test_bare_pod_is_checked_too() -> None:
    pod = packharness.Res(
        POD, {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "a:1"}]}}
    )
    failing = {f.policy for f in analyze(HYGIENE_POLICIES, pod)}
    assert failing == {p.name for p in HYGIENE_POLICIES}
