"""A small Pulumi mock monitor for mesh and microservice unit tests.

It echoes every resource's inputs back as its state and records each registration, so tests can
assert on the exact inputs the engine would receive and feed them to policy packs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await


@dataclass
class Recorded:
    """One registered resource as the engine sees it: type token, logical name and inputs."""

    type: str
    name: str
    inputs: dict[str, Any]
    provider: str | None = None  # provider reference (`<urn>::<id>`) the resource was registered with


@dataclass
class MeshMocks(pulumi.runtime.Mocks):
    resources: list[Recorded] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.resources.append(Recorded(args.typ, args.name, dict(args.inputs), args.provider))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        raise AssertionError(f"unexpected invoke {args.token}: the mesh components need none")

    # -- queries ---------------------------------------------------------------------------------

    def of_type(self, type_token: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str) -> Recorded:
        """The single resource of a type whose metadata.name (or logical name) is `name`."""
        found = [
            r
            for r in self.of_type(type_token)
            if (r.inputs.get("metadata") or {}).get("name") == name or r.name == name
        ]
        assert len(found) == 1, f"expected one {type_token} named {name}, got {[r.name for r in found]}"
        return found[0]


def build(program: Callable[[], Any], *, stack: str = "test") -> MeshMocks:
    """Run `program` under fresh mocks, wait for every registration, return what was recorded.

    Exceptions raised by the program (a ConfigError, say) propagate after the runtime settles,
    as `pulumi.runtime.test` does.
    """
    mocks = MeshMocks()
    pulumi.runtime.set_mocks(mocks, project="devsecops-platform", stack=stack, preview=False)
    try:
        _sync_await(run_pulumi_func(program))
    finally:
        pulumi.runtime.settings.reset_options()
    return mocks
