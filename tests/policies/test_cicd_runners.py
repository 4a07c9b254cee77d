"""cicd-runner-pods-not-privileged: scale-set chart values, AutoscalingRunnerSets, legacy runners."""

from __future__ import annotations

from typing import Any

from components.runners import RunnerScaleSetArgs, scale_set_values
from tests.packharness import Res, analyze, violations
from tests.policies.cicd_pack import POLICIES  # noqa: F401 - puts the pack on sys.path

from cicd_baseline.runners import runner_pods_not_privileged  # isort: skip

NAME = "cicd-runner-pods-not-privileged"
CHART = "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set"


def _values(**kwargs: Any) -> dict[str, Any]:
    args = RunnerScaleSetArgs(name="ci", github_config_url="https://github.com/acme", github_app_secret_name="s",
                              **kwargs)
    return scale_set_values(args, github_secret_name="s", controller_namespace="arc-systems", hook_config_map="h")


def _messages(res: Res) -> list[str]:
    return [f.message for f in violations(analyze(runner_pods_not_privileged, res), NAME)]


def _chart(values: dict[str, Any], chart: str = CHART) -> Res:
    return Res("kubernetes:helm.sh/v4:Chart", {"chart": chart, "version": "0.15.0", "values": values}, name="ci")


def test_the_runner_components_default_values_pass() -> None:
    assert _messages(_chart(_values())) == []
    assert _messages(_chart(_values(container_mode="none"))) == []


def test_docker_in_docker_insecure_is_reported() -> None:
    (message,) = _messages(_chart(_values(docker_in_docker_insecure=True)))
    assert "containerMode.type is 'dind'" in message


def test_privileged_container_in_the_template_is_a_violation() -> None:
    values = _values()
    values["template"]["spec"]["initContainers"] = [{"name": "setup", "securityContext": {"privileged": True}}]
    (message,) = _messages(_chart(values))
    assert "values.template.spec.initContainers[0].securityContext.privileged is true" in message


def test_a_vendored_chart_archive_is_recognised() -> None:
    assert _messages(_chart({"containerMode": {"type": "dind"}}, "./vendor/gha-runner-scale-set-0.15.0.tgz"))


def test_other_charts_are_out_of_scope() -> None:
    assert _messages(_chart({"containerMode": {"type": "dind"}}, "oci://x/gha-runner-scale-set-controller")) == []


def test_rendered_autoscaling_runner_set_with_privileged_dind_is_a_violation() -> None:
    spec = {"template": {"spec": {"containers": [{"name": "runner"}],
                                  "initContainers": [{"name": "dind", "securityContext": {"privileged": True}}]}}}
    res = Res("kubernetes:actions.github.com/v1alpha1:AutoscalingRunnerSet", {"spec": spec}, name="set")
    (message,) = _messages(res)
    assert "spec.template.spec.initContainers[0]" in message
    spec["template"]["spec"]["initContainers"] = []
    assert _messages(Res("kubernetes:actions.github.com/v1alpha1:AutoscalingRunnerSet", {"spec": spec})) == []


def test_legacy_runner_deployment_has_docker_unless_disabled() -> None:
    legacy = "kubernetes:actions.summerwind.dev/v1alpha1:RunnerDeployment"
    assert _messages(Res(legacy, {"spec": {"template": {"spec": {"repository": "acme/x"}}}}))
    assert _messages(Res(legacy, {"spec": {"template": {"spec": {"dockerEnabled": False}}}})) == []
