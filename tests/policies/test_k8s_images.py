"""image-tag-pinned, image-digest-required, allowed-image-registries."""

from __future__ import annotations

import pytest

from tests import packharness
from tests.packharness import UNKNOWN
from tests.policies.test_k8s_support import (
    APPROVED,
    GOOD_IMAGE,
    analyze,
    deployment,
    good_container,
    good_pod_spec,
)

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline.images import IMAGE_POLICIES, ImageRef, parse_image  # noqa: E402

DIGEST = "sha256:" + "0f" * 32


def with_image(image: object, list_name: str = "containers") -> packharness.Res:
    spec = good_pod_spec()
    spec[list_name] = [good_container("x", image=image)]
    return deployment(spec)


def findings_of(
    policy: str, image: object, config: dict[str, object] | None = None
) -> list[packharness.Finding]:
    return packharness.violations(
        analyze(IMAGE_POLICIES, with_image(image), APPROVED if config is None else config), policy
    )


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("nginx", ImageRef("docker.io", "library/nginx", None, None)),
        ("nginx:1.27", ImageRef("docker.io", "library/nginx", "1.27", None)),
        ("istio/proxyv2:1.24.1", ImageRef("docker.io", "istio/proxyv2", "1.24.1", None)),
        ("index.docker.io/library/redis:7", ImageRef("docker.io", "library/redis", "7", None)),
        ("localhost:5000/app", ImageRef("localhost:5000", "app", None, None)),
        (f"ghcr.io/org/app:v1@{DIGEST}", ImageRef("ghcr.io", "org/app", "v1", DIGEST)),
        (
            f"123456789012.dkr.ecr.us-east-1.amazonaws.com/app@{DIGEST}",
            ImageRef("123456789012.dkr.ecr.us-east-1.amazonaws.com", "app", None, DIGEST),
        ),
    ],
)
def test_parse_image(reference: str, expected: ImageRef) -> None:
    assert parse_image(reference) == expected


# --- image-tag-pinned ----------------------------------------------------------------------------


def test_tag_pinned_passes_a_version_tag_and_a_bare_digest() -> None:
    assert findings_of("image-tag-pinned", "registry.example.com/app:1.2.3") == []
    assert findings_of("image-tag-pinned", f"registry.example.com/app@{DIGEST}") == []


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("registry.example.com/app", "has no tag, so it means :latest"),
        ("registry.example.com/app:latest", "uses the mutable tag 'latest'"),
        ("localhost:5000/app", "has no tag"),
    ],
)
def test_tag_pinned_fails_latest_and_missing_tags(image: str, problem: str) -> None:
    [finding] = findings_of("image-tag-pinned", image)
    assert finding.level == "mandatory"
    assert f"spec.template.spec.containers[0].image {image!r} {problem}" in finding.message


def test_tag_pinned_reports_a_missing_image_and_checks_init_containers() -> None:
    [missing] = findings_of("image-tag-pinned", None)
    assert "spec.template.spec.containers[0].image is not set" in missing.message
    res = with_image("registry.example.com/init", "initContainers")
    [init] = packharness.violations(analyze(IMAGE_POLICIES, res, APPROVED), "image-tag-pinned")
    assert "initContainers[0].image" in init.message


def test_unknown_image_is_a_preview_advisory() -> None:
    findings = analyze(IMAGE_POLICIES, with_image(UNKNOWN), APPROVED)
    assert {f.policy for f in findings if "during preview" in f.message} == {
        "image-tag-pinned",
        "image-digest-required",
        "allowed-image-registries",
    }
    assert [f for f in findings if f.level == "mandatory"] == []


# --- image-digest-required -----------------------------------------------------------------------


def test_digest_required_passes_a_digest() -> None:
    assert findings_of("image-digest-required", GOOD_IMAGE) == []


def test_digest_required_is_advisory_by_default_and_configurable() -> None:
    [finding] = findings_of("image-digest-required", "registry.example.com/app:1.2.3")
    assert finding.level == "advisory"
    assert "is not pinned by digest" in finding.message
    mandatory_config = {**APPROVED, "image-digest-required": "mandatory"}
    [strict] = findings_of("image-digest-required", "registry.example.com/app:1.2.3", mandatory_config)
    assert strict.level == "mandatory"


def test_digest_required_rejects_a_malformed_digest() -> None:
    assert findings_of("image-digest-required", "registry.example.com/app@sha256:abc")


# --- allowed-image-registries --------------------------------------------------------------------


def test_registries_pass_an_approved_prefix() -> None:
    config = {"allowed-image-registries": {"allowedRegistries": ["docker.io/istio", "registry.example.com"]}}
    assert findings_of("allowed-image-registries", "istio/proxyv2:1.24.1", config) == []
    assert findings_of("allowed-image-registries", "registry.example.com/team/app:1", config) == []


def test_registries_match_whole_path_components() -> None:
    config = {"allowed-image-registries": {"allowedRegistries": ["docker.io/istio"]}}
    [finding] = findings_of("allowed-image-registries", "istio-evil/proxy:1", config)
    assert (
        "(docker.io/istio-evil/proxy) is not from an approved registry ['docker.io/istio']" in finding.message
    )
    assert findings_of("allowed-image-registries", "nginx:1.27", config)  # docker.io/library/nginx


def test_registries_default_approves_nothing() -> None:
    [finding] = findings_of("allowed-image-registries", "registry.example.com/app:1", {})
    assert finding.level == "mandatory"
    assert "no registry is approved; list the approved registries in allowedRegistries" in finding.message


def test_registries_config_must_be_fully_qualified() -> None:
    with pytest.raises(ValueError, match="'istio' does not start with a registry host"):
        findings_of(
            "allowed-image-registries",
            "istio/proxyv2:1",
            {"allowed-image-registries": {"allowedRegistries": ["istio"]}},
        )
    with pytest.raises(ValueError, match="unknown key"):
        findings_of(
            "allowed-image-registries",
            "istio/proxyv2:1",
            {"allowed-image-registries": {"registries": ["docker.io"]}},
        )
