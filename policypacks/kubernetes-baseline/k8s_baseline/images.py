"""Container image policies: pinned tags, digests, approved registries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pulumi_policy import EnforcementLevel, Severity

from .config import PolicyConfigError, schema, string_list
from .meta import ControlMap
from .walker import Container
from .workload import Workload, WorkloadPolicy

ALLOWED_REGISTRIES = "allowed-image-registries"
DOCKER_HUB = "docker.io"
_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$")


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference, with Docker Hub's implicit parts made explicit."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """Fully-qualified name without tag or digest: docker.io/library/nginx."""
        return f"{self.registry}/{self.repository}"


def is_registry_host(component: str) -> bool:
    """Docker's rule: the first path component is a registry when it looks like a host."""
    return "." in component or ":" in component or component == "localhost"


def parse_image(reference: str) -> ImageRef:
    name, _, digest = reference.partition("@")
    tag = None
    colon, slash = name.rfind(":"), name.rfind("/")
    if colon > slash:  # a colon before the last slash is a registry port, not a tag
        name, tag = name[:colon], name[colon + 1 :]
    first, _, rest = name.partition("/")
    if rest and is_registry_host(first):
        registry, repository = first, rest
    else:
        registry, repository = DOCKER_HUB, name
    if registry in _DOCKER_HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in repository:
            repository = f"library/{repository}"
    return ImageRef(registry, repository, tag or None, digest or None)


def _images(workload: Workload) -> Iterator[tuple[Container, object]]:
    for container in workload.pod.containers():
        yield container, container.obj.get("image")


def _tag_pinned(workload: Workload) -> list[str]:
    out = []
    for c, image in _images(workload):
        where = c.field("image")
        if not isinstance(image, str) or not image:
            out.append(f"{where} is not set; set an image with an explicit version tag or digest")
            continue
        ref = parse_image(image)
        if ref.digest is not None:
            continue  # a digest pins the exact image whatever the tag says
        if ref.tag is None:
            out.append(f"{where} {image!r} has no tag, so it means :latest; pin a version tag or a digest")
        elif ref.tag == "latest":
            out.append(f"{where} {image!r} uses the mutable tag 'latest'; pin a version tag or a digest")
    return out


def _digest_required(workload: Workload) -> list[str]:
    out = []
    for c, image in _images(workload):
        if not isinstance(image, str) or not image:
            out.append(f"{c.field('image')} is not set; set an image pinned by digest")
            continue
        digest = parse_image(image).digest
        if digest is None or not _DIGEST.match(digest):
            out.append(
                f"{c.field('image')} {image!r} is not pinned by digest; "
                "use <image>:<tag>@sha256:<digest> so the deployed image is exactly the one scanned "
                "and signed"
            )
    return out


def _normalized_prefixes(policy: str, prefixes: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for prefix in prefixes:
        host = prefix.split("/", 1)[0]
        if not is_registry_host(host):
            raise PolicyConfigError(
                policy,
                "allowedRegistries",
                list(prefixes),
                "fully-qualified prefixes starting with a registry host, e.g. docker.io/istio or "
                "123456789012.dkr.ecr.us-east-1.amazonaws.com",
                f"{prefix!r} does not start with a registry host",
            )
        host_part, _, path = prefix.rstrip("/").partition("/")
        if host_part in _DOCKER_HUB_ALIASES:
            host_part = DOCKER_HUB
        out.append(f"{host_part}/{path}" if path else host_part)
    return tuple(out)


def _allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    # Prefixes match whole path components: docker.io/istio allows docker.io/istio/proxyv2,
    # never docker.io/istio-evil/x.
    return any(name == p or name.startswith(p + "/") for p in prefixes)


def _registries(workload: Workload) -> list[str]:
    prefixes = _normalized_prefixes(ALLOWED_REGISTRIES, workload.config["allowedRegistries"])
    out = []
    for c, image in _images(workload):
        if not isinstance(image, str) or not image:
            out.append(f"{c.field('image')} is not set, so its registry cannot be approved")
            continue
        ref = parse_image(image)
        if not prefixes:
            out.append(
                f"{c.field('image')} {image!r} comes from {ref.registry}, and no registry is approved; "
                "list the approved registries in allowedRegistries"
            )
        elif not _allowed(ref.name, prefixes):
            out.append(
                f"{c.field('image')} {image!r} ({ref.name}) is not from an approved registry {list(prefixes)}"
            )
    return out


_PINNING = ControlMap("CM-2", "C-4.4-3", more_controls=("SI-7",))

IMAGE_POLICIES = [
    WorkloadPolicy(
        name="image-tag-pinned",
        description="Container images must be pinned: no missing tag and no 'latest' (a digest also pins).",
        check=_tag_pinned,
        severity=Severity.MEDIUM,
        controls=_PINNING,
        remediation_steps=(
            "Reference every image by an immutable version tag (repo:1.2.3) or by digest "
            "(repo:1.2.3@sha256:...). Never use :latest or omit the tag."
        ),
        extra_tags=("supply-chain",),
    ),
    WorkloadPolicy(
        name="image-digest-required",
        description="Container images must be referenced by digest (@sha256:...). Advisory by default.",
        check=_digest_required,
        severity=Severity.MEDIUM,
        controls=ControlMap("SI-7", "C-4.6-9", more_controls=("CM-14", "SR-4"), more_items=("C-4.6-8",)),
        remediation_steps=(
            "Append the image digest to every image reference (repo:tag@sha256:<digest>), e.g. from the "
            "registry or the CI build output. To enforce it, set this policy's enforcementLevel to mandatory."
        ),
        enforcement_level=EnforcementLevel.ADVISORY,
        extra_tags=("supply-chain",),
    ),
    WorkloadPolicy(
        name=ALLOWED_REGISTRIES,
        description="Container images must come from an approved registry (allowedRegistries prefixes).",
        check=_registries,
        severity=Severity.HIGH,
        controls=ControlMap("SR-3", "C-4.4-3", more_controls=("CM-7", "SR-11")),
        remediation_steps=(
            "Pull images only from the approved registries (for example the account's ECR registry, "
            "mirrored upstream images), or add the registry to this policy's allowedRegistries after review."
        ),
        config_schema=schema(
            allowedRegistries=string_list(
                "Approved image prefixes, fully qualified with the registry host (docker.io/istio, "
                "<account>.dkr.ecr.<region>.amazonaws.com). A prefix matches whole path components. "
                "Empty (the default) approves no registry: every image is reported until the list is set."
            )
        ),
        extra_tags=("supply-chain",),
    ),
]
