"""Strict parsing of the stack's `ci` config into the Args of the four CI components.

    ci:
      registry:   {repositories: [...], untaggedExpiryDays: 14, keepLastImages: 100, kmsKeyArn: ...}
      identities: {githubRepository: owner/repo, deployEnvironment: production, driftEnvironment: drift, ...}
      runners:    {controllerNamespace: arc-systems, scaleSets: [{name: ..., githubConfigUrl: ..., ...}]}
      gitops:     {repoUrl: ..., appNamespaces: [...], ...}
      tags:       {team: platform}

A section that is absent, or has `enabled: false`, is off. Every other problem (an unknown key, a
wrong type, a bad value, a wildcard repository) raises ConfigError naming the key path, the value
and what is allowed. Secret fields (GitHub App ids and key, deploy key, token) must be stored with
`pulumi config set --secret --path`; they come back wrapped as Pulumi secrets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

import pulumi

from components.chart_source import ChartSource, is_exact_version
from components.config_fields import cidr
from components.errors import ConfigError
from components.gitops import ARGO_CD_CHART, GitOpsArgs, validate_gitops_args
from components.identities import PipelineIdentitiesArgs, validate_identities_args
from components.registry import ArtifactRegistryArgs, validate_registry_args
from components.runners import (
    CONTAINER_MODES,
    CONTROLLER_CHART,
    RUNNER_IMAGE,
    SCALE_SET_CHART,
    CiRunnersArgs,
    ContainerMode,
    GitHubAppCredentials,
    RunnerScaleSetArgs,
    validate_runners_args,
)

T = TypeVar("T")
_MISSING = object()
_SECRET_SHOWN = "[secret]"  # noqa: S105 - shown instead of a secret value


@dataclass(frozen=True)
class CiArgs:
    """The Args of the four CI components; a component whose section is off has None."""

    registry_enabled: bool
    registry: ArtifactRegistryArgs | None
    identities_enabled: bool
    identities: PipelineIdentitiesArgs | None
    runners_enabled: bool
    runners: CiRunnersArgs | None
    gitops_enabled: bool
    gitops: GitOpsArgs | None


class _Section:
    """Reads one mapping strictly: typed fields, then a check that no unknown key is left."""

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, Mapping) or not all(isinstance(k, str) for k in raw):
            raise ConfigError(path, raw, "a mapping of named settings", "not a mapping")
        self.raw: Mapping[str, object] = raw
        self.path = path
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}"

    def _get(self, name: str) -> object:
        self.seen.add(name)
        return self.raw.get(name, _MISSING)

    def str_(self, name: str, default: T, allowed: str = "a non-empty string") -> str | T:
        value = self._get(name)
        if value is _MISSING or value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(self.key(name), value, allowed, "not a non-empty string")
        return value

    def req_str(self, name: str, allowed: str = "a non-empty string") -> str:
        value = self.str_(name, None, allowed)
        if value is None:
            raise ConfigError(self.key(name), None, allowed, "missing")
        return value

    def bool_(self, name: str, default: bool) -> bool:
        value = self._get(name)
        if value is _MISSING or value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(self.key(name), value, "true or false", "not a boolean")
        return value

    def int_(self, name: str, default: int, minimum: int, maximum: int) -> int:
        value = self._get(name)
        if value is _MISSING or value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ConfigError(self.key(name), value, f"an integer from {minimum} to {maximum}", "out of range")
        return value

    def str_list(self, name: str, allowed: str, *, required: bool = False) -> list[str]:
        value = self._get(name)
        if value is _MISSING or value is None:
            if required:
                raise ConfigError(self.key(name), None, allowed, "missing")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(self.key(name), value, allowed, "not a list of non-empty strings")
        if required and not value:
            raise ConfigError(self.key(name), value, allowed, "empty")
        return list(value)

    def str_map(self, name: str) -> dict[str, str]:
        value = self._get(name)
        if value is _MISSING or value is None:
            return {}
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(self.key(name), value, "a mapping of string to string", "not a string mapping")
        return dict(value)

    def section(self, name: str) -> _Section | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            return None
        return _Section(value, self.key(name))

    def sections(self, name: str) -> list[_Section]:
        value = self._get(name)
        if value is _MISSING or value is None or not isinstance(value, list) or not value:
            raise ConfigError(self.key(name), None if value is _MISSING else value, "a non-empty list of mappings",
                              "missing or not a list")
        return [_Section(item, f"{self.key(name)}[{i}]") for i, item in enumerate(value)]

    def secret(self, name: str, config_key: str) -> pulumi.Output[str] | None:
        """A secret string; refused when the config holding it is not stored as a secret."""
        value = self._get(name)
        if value is _MISSING or value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # GitHub App ids are numbers
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(self.key(name), _SECRET_SHOWN, "a non-empty string", "not a non-empty string")
        if not _is_secret_config(config_key):
            raise ConfigError(
                self.key(name), _SECRET_SHOWN,
                f"a value set with `pulumi config set --secret --path {self.key(name)} ...`",
                "stored in plaintext",
            )
        return pulumi.Output.secret(value)

    def done(self) -> None:
        for name in self.raw:
            if name not in self.seen:
                raise ConfigError(
                    self.key(name), self.raw[name], "one of: " + ", ".join(sorted(self.seen)), "unknown key"
                )


def _is_secret_config(key: str) -> bool:
    """Whether the top-level config key holding a value (`ci` or `project:ci`) is stored as a secret."""
    secret_keys = set(pulumi.runtime.get_config_secret_keys_env())
    known = secret_keys | set(pulumi.runtime.get_config_env()) | {key}
    candidates = {k for k in known if k == key or k.endswith(f":{key}")}
    return any(c in secret_keys or pulumi.runtime.is_config_secret(c) for c in candidates)


def _problems(path: str, raw: object, problems: list[str]) -> None:
    if problems:
        raise ConfigError(path, raw, "see the problem", problems[0])


def _chart(section: _Section, name: str, default: ChartSource) -> ChartSource:
    sub = section.section(name)
    if sub is None:
        return default
    chart = sub.str_("chart", default.chart, "an oci:// reference, a chart name or a local chart path")
    version = sub.str_("version", default.version, "an exact chart version such as 1.2.3")
    repository = sub.str_("repository", None, "an https:// Helm repository URL")
    sub.done()
    if not is_exact_version(version):
        raise ConfigError(sub.key("version"), version, "an exact version such as 1.2.3 (no ranges)", "not pinned")
    if repository is not None and not repository.startswith("https://"):
        raise ConfigError(sub.key("repository"), repository, "an https:// Helm repository URL", "not https")
    if repository is not None and chart.startswith("oci://"):
        raise ConfigError(sub.key("repository"), repository, "no repository with an oci:// chart",
                          "conflicts with chart")
    return ChartSource(chart, version, repository)


def _enabled(section: _Section | None) -> bool:
    return section is not None and section.bool_("enabled", True)


def _parse_registry(s: _Section, tags: dict[str, str]) -> ArtifactRegistryArgs:
    repositories = s.str_list("repositories", "a non-empty list of ECR repository names", required=True)
    for repo in repositories:
        if "*" in repo:
            raise ConfigError(s.key("repositories"), repositories, "exact repository names (no wildcards)",
                              "wildcard")
    args = ArtifactRegistryArgs(
        repositories=repositories,
        untagged_expiry_days=s.int_("untaggedExpiryDays", 14, 1, 3650),
        keep_last_images=s.int_("keepLastImages", 100, 1, 10000),
        kms_key_arn=s.str_("kmsKeyArn", None, "a KMS key ARN"),
        tags=tags,
    )
    s.done()
    _problems(s.key("repositories"), repositories, validate_registry_args(args))
    return args


def _parse_identities(s: _Section, tags: dict[str, str]) -> PipelineIdentitiesArgs:
    repo = s.req_str("githubRepository", "owner/repo of the repository whose workflows assume the roles")
    if "*" in repo or "?" in repo:
        raise ConfigError(s.key("githubRepository"), repo, "exactly one owner/repo, no wildcards", "wildcard")
    branch = s.str_("deployBranch", None, "a protected branch name")
    # An explicit branch replaces the default environment; give both and validation refuses it.
    environment_default = None if branch is not None and "deployEnvironment" not in s.raw else "production"
    args = PipelineIdentitiesArgs(
        github_repository=repo,
        deploy_environment=s.str_("deployEnvironment", environment_default, "a GitHub environment name"),
        deploy_branch=branch,
        drift_environment=s.str_("driftEnvironment", "drift", "a GitHub environment name"),
        existing_oidc_provider_arn=s.str_("existingOidcProviderArn", None, "an IAM OIDC provider ARN"),
        state_bucket_arn=s.str_("stateBucketArn", None, "an S3 bucket ARN"),
        secrets_kms_key_arn=s.str_("secretsKmsKeyArn", None, "a KMS key ARN"),
        deploy_extra_actions=s.str_list("deployExtraActions", "a list of 'service:Action' strings"),
        deploy_permissions_boundary_arn=s.str_("deployPermissionsBoundaryArn", None, "an IAM policy ARN"),
        preview_cluster_view=s.bool_("previewClusterView", True),
        partition=s.str_("partition", "aws", "aws, aws-us-gov or aws-cn"),
        tags=tags,
    )
    s.done()
    if args.partition not in ("aws", "aws-us-gov", "aws-cn"):
        raise ConfigError(s.key("partition"), args.partition, "aws, aws-us-gov or aws-cn")
    _problems(s.path, repo, validate_identities_args(args))
    return args


def _parse_scale_set(s: _Section, config_key: str) -> RunnerScaleSetArgs:
    app_section = s.section("githubApp")
    app: GitHubAppCredentials | None = None
    if app_section is not None:
        app_id = app_section.secret("appId", config_key)
        installation = app_section.secret("installationId", config_key)
        private_key = app_section.secret("privateKey", config_key)
        app_section.done()
        if app_id is None or installation is None or private_key is None:
            raise ConfigError(app_section.path, _SECRET_SHOWN, "appId, installationId and privateKey, all set",
                              "incomplete")
        app = GitHubAppCredentials(app_id=app_id, installation_id=installation, private_key=private_key)
    mode = s.str_("containerMode", "kubernetes-novolume", "one of " + ", ".join(CONTAINER_MODES))
    if mode not in CONTAINER_MODES:
        raise ConfigError(s.key("containerMode"), mode, "one of " + ", ".join(CONTAINER_MODES))
    args = RunnerScaleSetArgs(
        name=s.req_str("name", "a DNS label of at most 45 characters (the runs-on name)"),
        github_config_url=s.req_str("githubConfigUrl", "https://github.com/<org> or https://github.com/<org>/<repo>"),
        github_app_secret_name=s.str_("githubAppSecretName", None, "the name of a pre-created Secret"),
        github_app=app,
        namespace=s.str_("namespace", None, "a DNS label"),
        min_runners=s.int_("minRunners", 0, 0, 1000),
        max_runners=s.int_("maxRunners", 5, 1, 1000),
        runner_group=s.str_("runnerGroup", "default", "a GitHub runner group name"),
        container_mode=cast(ContainerMode, mode),
        docker_in_docker_insecure=s.bool_("dockerInDockerInsecure", False),
        runner_image=s.str_("runnerImage", RUNNER_IMAGE, "an image reference"),
        cpu_request=s.str_("cpuRequest", "500m", "a CPU quantity"),
        memory_request=s.str_("memoryRequest", "1Gi", "a memory quantity"),
        cpu_limit=s.str_("cpuLimit", "2", "a CPU quantity"),
        memory_limit=s.str_("memoryLimit", "4Gi", "a memory quantity"),
        work_volume_storage_class=s.str_("workVolumeStorageClass", "gp3", "a StorageClass name"),
        work_volume_size=s.str_("workVolumeSize", "10Gi", "a storage quantity"),
        ecr_push=s.bool_("ecrPush", True),
    )
    s.done()
    if "*" in args.github_config_url:
        raise ConfigError(s.key("githubConfigUrl"), args.github_config_url, "an exact org or repository URL",
                          "wildcard")
    return args


def _parse_runners(s: _Section, tags: dict[str, str], config_key: str) -> CiRunnersArgs:
    args = CiRunnersArgs(
        scale_sets=[_parse_scale_set(item, config_key) for item in s.sections("scaleSets")],
        controller_namespace=s.str_("controllerNamespace", "arc-systems", "a DNS label"),
        controller_chart=_chart(s, "controllerChart", CONTROLLER_CHART),
        scale_set_chart=_chart(s, "scaleSetChart", SCALE_SET_CHART),
        tags=tags,
    )
    s.done()
    _problems(s.path, "[scale sets]", validate_runners_args(args))
    return args


def _repo_cidrs(s: _Section) -> tuple[str, ...]:
    """ci.gitops.repoCidrs: where a private Git server is; never every address or link-local."""
    blocks = s.str_list("repoCidrs", "a list of CIDR blocks of the Git server (no /0, no link-local)")
    out = []
    for i, block in enumerate(blocks):
        out.append(str(cidr(f"{s.key('repoCidrs')}[{i}]", block, allow_world=False, allow_link_local=False)))
    return tuple(out)


def _parse_gitops(s: _Section, config_key: str) -> GitOpsArgs:
    repo_url = s.req_str("repoUrl", "the deployment repository's https:// or SSH URL")
    if "*" in repo_url:
        raise ConfigError(s.key("repoUrl"), repo_url, "one exact repository URL", "wildcard")
    namespaces = s.str_list("appNamespaces", "a non-empty list of namespace names", required=True)
    if "*" in namespaces:
        raise ConfigError(s.key("appNamespaces"), namespaces, "explicit namespace names", "wildcard")
    args = GitOpsArgs(
        repo_url=repo_url,
        app_namespaces=namespaces,
        path=s.str_("path", ".", "a directory in the repository"),
        revision=s.str_("revision", "main", "a branch, tag or commit"),
        namespace=s.str_("namespace", "argocd", "a DNS label"),
        chart=_chart(s, "chart", ARGO_CD_CHART),
        credentials_secret_name=s.str_("credentialsSecretName", None, "the name of a pre-created Secret"),
        ssh_private_key=s.secret("sshPrivateKey", config_key),
        https_username=s.str_("httpsUsername", "git", "a user name"),
        https_token=s.secret("httpsToken", config_key),
        application_name=s.str_("applicationName", "apps", "a DNS label"),
        create_app_namespaces=s.bool_("createAppNamespaces", False),
        cluster_admin_insecure=s.bool_("clusterAdminInsecure", False),
        repo_cidrs=_repo_cidrs(s),
    )
    s.done()
    _problems(s.path, repo_url, validate_gitops_args(args))
    return args


def _section_or_off(
    root: _Section, name: str, parse: Callable[[_Section], T]
) -> tuple[bool, T | None]:
    section = root.section(name)
    if not _enabled(section):
        return False, None
    assert section is not None
    return True, parse(section)


def parse_ci(raw: object, key: str = "ci") -> CiArgs:
    """Parse the `ci` config object (None or absent: everything off)."""
    if raw is None:
        return CiArgs(False, None, False, None, False, None, False, None)
    root = _Section(raw, key)
    tags = root.str_map("tags")
    registry_on, registry = _section_or_off(root, "registry", lambda s: _parse_registry(s, tags))
    identities_on, identities = _section_or_off(root, "identities", lambda s: _parse_identities(s, tags))
    runners_on, runners = _section_or_off(root, "runners", lambda s: _parse_runners(s, tags, key))
    gitops_on, gitops = _section_or_off(root, "gitops", lambda s: _parse_gitops(s, key))
    root.done()
    return CiArgs(registry_on, registry, identities_on, identities, runners_on, runners, gitops_on, gitops)

