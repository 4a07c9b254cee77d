"""Pulumi mocks for the observability tests that keep every registration exactly as sent.

The stock MockMonitor decodes inputs (secrets unwrapped) before the mocks see them; this monitor
also records the raw protobuf object, so a test can tell a value sent as a Pulumi secret (inside
the engine's secret envelope) from one sent in plaintext.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pmocks

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"


@dataclass
class Recorded:
    type: str
    name: str
    raw: dict[str, Any]
    """Inputs as sent to the engine, secret envelopes included."""
    dependencies: list[str] = field(default_factory=list)

    @property
    def inputs(self) -> dict[str, Any]:
        """Inputs with every secret envelope replaced by its value."""
        unwrapped = unwrap_secrets(self.raw)
        assert isinstance(unwrapped, dict)
        return unwrapped

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.inputs.get("metadata") or {}
        assert isinstance(meta, dict)
        return meta


def is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(SECRET_SIG) == SECRET_VALUE


def unwrap_secrets(value: Any) -> Any:
    if is_secret(value):
        return unwrap_secrets(value.get("value"))
    if isinstance(value, Mapping):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def plaintext_strings(value: Any) -> Iterator[str]:
    """Every string in a raw input tree that is not inside a secret envelope (keys included)."""
    if is_secret(value):
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from plaintext_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from plaintext_strings(v)
    elif isinstance(value, str):
        yield value


class EchoMocks(pmocks.Mocks):
    """Custom resources get an id; every resource's outputs echo its inputs."""

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return (f"{args.name}-id" if args.custom else "", dict(args.inputs))

    def call(self, args: pmocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        return {}


class RecordingMonitor(pmocks.MockMonitor):
    def __init__(self, mocks: pmocks.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[Recorded] = []

    def RegisterResource(self, request: Any) -> Any:  # gRPC method name
        self.records.append(
            Recorded(
                type=request.type,
                name=request.name,
                raw=json_format.MessageToDict(request.object),
                dependencies=list(request.dependencies),
            )
        )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


@dataclass
class Run:
    records: list[Recorded]
    component: Any
    outputs: dict[str, Any]

    def of_type(self, type_: str) -> list[Recorded]:
        return [r for r in self.records if r.type == type_]

    def one(self, type_: str, name_suffix: str) -> Recorded:
        found = [r for r in self.of_type(type_) if r.name.endswith(name_suffix)]
        assert len(found) == 1, f"expected one {type_} named *{name_suffix}, got {[r.name for r in found]}"
        return found[0]


def run(build: Callable[[], Any], outputs: Mapping[str, Callable[[Any], pulumi.Output[Any]]]) -> Run:
    """Build a component under the mocks and resolve the named outputs."""
    mocks = EchoMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="obs", stack="test", preview=False, monitor=monitor)
    result: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[misc]
    def program() -> pulumi.Output[Any]:
        component = build()
        result["component"] = component
        names = list(outputs)
        return pulumi.Output.all(*(outputs[n](component) for n in names)).apply(
            lambda values: result.update(dict(zip(names, values, strict=True)))
        )

    program()
    component = result.pop("component")
    return Run(records=monitor.records, component=component, outputs=result)
