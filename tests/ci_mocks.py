"""Pulumi mocks for the CI component tests: build a component, get back every registration."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi
from pulumi.runtime import mocks

ACCOUNT = "111122223333"
T = TypeVar("T")


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    provider: str


class RecordingMocks(mocks.Mocks):
    """Echo inputs as outputs, add the computed attributes the components read, record all."""

    def __init__(self) -> None:
        self.resources: list[Registered] = []

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs), args.provider or ""))
        outputs = dict(args.inputs)
        if args.typ == "aws:iam/role:Role":
            outputs.setdefault("name", f"{args.name}-1a2b3c")
            outputs["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{outputs['name']}"
        elif args.typ == "aws:ecr/repository:Repository":
            outputs["arn"] = f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{args.inputs['name']}"
            outputs["repositoryUrl"] = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/{args.inputs['name']}"
        elif args.typ == "aws:kms/key:Key":
            outputs["arn"] = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{args.name}"
        elif args.typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            outputs["arn"] = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
        return f"{args.name}-id", outputs

    def call(self, args: mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "userId": "U", "id": ACCOUNT}
        raise NotImplementedError(args.token)

    # Queries the tests use.
    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> Registered:
        found = [r for r in self.resources if r.type == type_ and r.name == name]
        assert len(found) == 1, f"expected one {type_} named {name}, got {[r.name for r in self.of_type(type_)]}"
        return found[0]

    def names(self, type_: str) -> list[str]:
        return sorted(r.name for r in self.of_type(type_))


def build(fn: Callable[[], T]) -> tuple[RecordingMocks, T]:
    """Run `fn` as a Pulumi program under fresh mocks and wait for every registration."""
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, preview=False)
    result: dict[str, T] = {}

    @pulumi.runtime.test
    def program() -> None:
        result["value"] = fn()

    program()
    return recorder, result["value"]


def policy(inputs: dict[str, Any], key: str) -> dict[str, Any]:
    """A JSON policy document input, parsed."""
    value = inputs[key]
    return json.loads(value) if isinstance(value, str) else dict(value)


def provider() -> Any:
    """A Kubernetes provider for components that need one."""
    import pulumi_kubernetes as k8s

    return k8s.Provider("k8s")


SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG[0]) == SECRET_SIG[1]


def unsecret(value: Any) -> Any:
    """The plain value inside a Pulumi secret (or the value itself)."""
    return value["value"] if is_secret(value) else value
