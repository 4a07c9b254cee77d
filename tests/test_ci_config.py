"""parse_ci: strict config parsing into the four components' Args."""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi
import pytest

from components.chart_source import ChartSource
from components.ci_config import parse_ci
from components.errors import ConfigError

FULL: dict[str, Any] = {
    "tags": {"team": "platform"},
    "registry": {"repositories": ["shop/web", "shop/api"], "untaggedExpiryDays": 7, "keepLastImages": 50},
    "identities": {
        "githubRepository": "acme/platform",
        "deployEnvironment": "production",
        "driftEnvironment": "drift",
        "stateBucketArn": "arn:aws:s3:::acme-pulumi-state",
    },
    "runners": {
        "controllerNamespace": "arc-systems",
        "scaleSetChart": {"chart": "oci://registry.internal/arc/gha-runner-scale-set", "version": "0.15.0"},
        "scaleSets": [
            {"name": "platform", "githubConfigUrl": "https://github.com/acme", "githubAppSecretName": "arc-app",
             "maxRunners": 10},
        ],
    },
    "gitops": {"repoUrl": "https://github.com/acme/deploy.git", "appNamespaces": ["shop"], "path": "prod"},
}


def _with(path: str, value: Any) -> dict[str, Any]:
    """FULL with one key (dotted path, list indexes as numbers) replaced; value None deletes it."""
    raw = copy.deepcopy(FULL)
    node: Any = raw
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return raw


def test_full_config_parses_into_component_args() -> None:
    ci = parse_ci(FULL)
    assert ci.registry_enabled and ci.identities_enabled and ci.runners_enabled and ci.gitops_enabled
    assert ci.registry is not None and ci.identities is not None and ci.runners is not None and ci.gitops is not None
    assert list(ci.registry.repositories) == ["shop/web", "shop/api"]
    assert (ci.registry.untagged_expiry_days, ci.registry.keep_last_images) == (7, 50)
    assert ci.registry.tags == {"team": "platform"}
    assert ci.identities.github_repository == "acme/platform"
    assert ci.identities.deploy_subject == "repo:acme/platform:environment:production"
    assert ci.identities.preview_subjects == ["repo:acme/platform:pull_request", "repo:acme/platform:environment:drift"]
    assert ci.identities.state_bucket_arn == "arn:aws:s3:::acme-pulumi-state"
    (scale_set,) = ci.runners.scale_sets
    assert (scale_set.name, scale_set.max_runners, scale_set.min_runners) == ("platform", 10, 0)
    assert scale_set.container_mode == "kubernetes-novolume" and scale_set.docker_in_docker_insecure is False
    assert ci.runners.scale_set_chart == ChartSource("oci://registry.internal/arc/gha-runner-scale-set", "0.15.0")
    assert ci.runners.controller_chart.version == "0.15.0"
    assert ci.gitops.repo_url == "https://github.com/acme/deploy.git"
    assert list(ci.gitops.app_namespaces) == ["shop"] and ci.gitops.path == "prod"
    assert ci.gitops.cluster_admin_insecure is False
    assert ci.gitops.repo_cidrs == ()  # a public Git host unless told otherwise
    with_git_server = parse_ci(_with("gitops.repoCidrs", ["10.50.0.0/24"]))
    assert with_git_server.gitops is not None and with_git_server.gitops.repo_cidrs == ("10.50.0.0/24",)


def test_absent_config_and_disabled_sections_are_off() -> None:
    assert parse_ci(None).runners is None
    ci = parse_ci({"registry": {"enabled": False}, "gitops": {"enabled": False, "repoUrl": "x"}})
    assert not ci.registry_enabled and ci.registry is None
    assert not ci.gitops_enabled and not ci.runners_enabled and not ci.identities_enabled


def test_deploy_branch_replaces_the_default_environment() -> None:
    raw = _with("identities.deployEnvironment", None)
    raw["identities"]["deployBranch"] = "main"
    ci = parse_ci(raw)
    assert ci.identities is not None
    assert ci.identities.deploy_subject == "repo:acme/platform:ref:refs/heads/main"


@pytest.mark.parametrize(
    ("path", "value", "key", "problem"),
    [
        ("registry.colour", "blue", "ci.registry.colour", "unknown key"),
        ("surprise", 1, "ci.surprise", "unknown key"),
        ("runners.scaleSets.0.maxRunner", 3, "ci.runners.scaleSets[0].maxRunner", "unknown key"),
        ("registry.repositories", "shop/web", "ci.registry.repositories", "not a list"),
        ("registry.repositories", [], "ci.registry.repositories", "empty"),
        ("registry.repositories", ["shop/*"], "ci.registry.repositories", "wildcard"),
        ("registry.repositories", ["Shop"], "ci.registry.repositories", "not a valid ECR name"),
        ("registry.untaggedExpiryDays", 0, "ci.registry.untaggedExpiryDays", "out of range"),
        ("registry.keepLastImages", True, "ci.registry.keepLastImages", "out of range"),
        ("identities.githubRepository", "acme/*", "ci.identities.githubRepository", "wildcard"),
        ("identities.githubRepository", "*", "ci.identities.githubRepository", "wildcard"),
        ("identities.githubRepository", "", "ci.identities.githubRepository", "not a non-empty string"),
        ("identities.githubRepository", None, "ci.identities.githubRepository", "missing"),
        ("identities.githubRepository", "acme", "ci.identities", "not 'owner/repo'"),
        ("identities.previewClusterView", "yes", "ci.identities.previewClusterView", "not a boolean"),
        ("identities.partition", "moon", "ci.identities.partition", "invalid value"),
        ("runners.scaleSets", [], "ci.runners.scaleSets", "missing or not a list"),
        ("runners.scaleSets.0.containerMode", "dind", "ci.runners.scaleSets[0].containerMode", "invalid value"),
        ("runners.scaleSets.0.minRunners", -1, "ci.runners.scaleSets[0].minRunners", "out of range"),
        ("runners.scaleSets.0.githubConfigUrl", "https://github.com/*", "ci.runners.scaleSets[0].githubConfigUrl",
         "wildcard"),
        ("runners.scaleSets.0.githubAppSecretName", None, "ci.runners", "exactly one of"),
        ("runners.scaleSetChart.version", "^0.15", "ci.runners.scaleSetChart.version", "not pinned"),
        ("runners.scaleSetChart.repository", "http://x", "ci.runners.scaleSetChart.repository", "not https"),
        ("gitops.appNamespaces", ["*"], "ci.gitops.appNamespaces", "wildcard"),
        ("gitops.repoUrl", "https://github.com/acme/*", "ci.gitops.repoUrl", "wildcard"),
        ("gitops.appNamespaces", ["argocd"], "ci.gitops", "must not be an application namespace"),
        ("gitops.repoCidrs", ["0.0.0.0/0"], "ci.gitops.repoCidrs[0]", "opens access to every address"),
        ("gitops.repoCidrs", ["169.254.0.0/16"], "ci.gitops.repoCidrs[0]", "overlaps link-local"),
        ("gitops.repoCidrs", "10.0.0.0/24", "ci.gitops.repoCidrs", "not a list of non-empty strings"),
        ("tags", {"team": 1}, "ci.tags", "not a string mapping"),
        ("registry", ["shop/web"], "ci.registry", "not a mapping"),
    ],
)
def test_bad_config_raises_config_error_naming_key_and_problem(path: str, value: Any, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ci(_with(path, value))
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert caught.value.allowed


def test_a_scalar_ci_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a mapping"):
        parse_ci("on")


def _app() -> dict[str, Any]:
    return {"appId": 123, "installationId": "456", "privateKey": "-----BEGIN RSA PRIVATE KEY-----"}


def test_github_app_secrets_in_plaintext_config_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", "[]")
    raw = _with("runners.scaleSets.0.githubAppSecretName", None)
    raw["runners"]["scaleSets"][0]["githubApp"] = _app()
    with pytest.raises(ConfigError) as caught:
        parse_ci(raw)
    assert caught.value.problem == "stored in plaintext"
    assert caught.value.value == "[secret]"
    assert "BEGIN RSA" not in str(caught.value)


def test_github_app_secrets_from_secret_config_become_pulumi_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["platform:ci"]))
    raw = _with("runners.scaleSets.0.githubAppSecretName", None)
    raw["runners"]["scaleSets"][0]["githubApp"] = _app()
    ci = parse_ci(raw)
    assert ci.runners is not None
    app = ci.runners.scale_sets[0].github_app
    assert app is not None
    assert isinstance(app.private_key, pulumi.Output)
    assert isinstance(app.app_id, pulumi.Output)


def test_incomplete_github_app_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["platform:ci"]))
    raw = _with("runners.scaleSets.0.githubAppSecretName", None)
    raw["runners"]["scaleSets"][0]["githubApp"] = {"appId": "1", "privateKey": "k"}
    with pytest.raises(ConfigError, match="incomplete"):
        parse_ci(raw)


def test_gitops_deploy_key_must_be_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", "[]")
    raw = _with("gitops.repoUrl", "git@github.com:acme/deploy.git")
    raw["gitops"]["sshPrivateKey"] = "-----BEGIN OPENSSH PRIVATE KEY-----"
    with pytest.raises(ConfigError) as caught:
        parse_ci(raw)
    assert caught.value.key == "ci.gitops.sshPrivateKey"
