"""The resource graph a program run produces: what the engine would hold after a preview."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-value sentinel
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a protocol signature, not a password
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


@dataclass
class Resource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str = ""
    provider: str = ""  # provider URN (explicit or the engine's default provider)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)  # engine form: unknowns and secrets marked
    protect: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None
    additional_secret_outputs: list[str] = field(default_factory=list)
    source_file: str = ""
    source_line: int = 0


@dataclass
class Graph:
    project: str
    stack: str
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)  # warnings and errors the program logged
    error: dict[str, str] | None = None  # {"kind", "message", "detail"} when the program failed

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def save(self, path: Path, redacted: bool = False) -> None:
        data = asdict(self)
        if redacted:
            for r in data["resources"]:
                r["inputs"] = redact(r["inputs"])
            data["outputs"] = redact(data["outputs"])
        path.write_text(json.dumps(data, indent=1, sort_keys=False))

    @staticmethod
    def load(path: Path) -> Graph:
        raw = json.loads(path.read_text())
        resources = [Resource(**r) for r in raw.pop("resources")]
        return Graph(resources=resources, **raw)


def to_engine_form(value: Any) -> Any:
    """Normalise a value as the engine does before sending it to analyzers.

    Resource references become the referenced resource's id (or URN for components), and output
    values become their plain value, the unknown sentinel, or a secret, so packs never meet a
    signature they cannot decode.
    """
    if isinstance(value, list):
        return [to_engine_form(v) for v in value]
    if not isinstance(value, dict):
        return value
    sig = value.get(SIG_KEY)
    if sig == RESOURCE_SIG:
        ref_id = value.get("id")
        return ref_id if ref_id not in (None, "") else value.get("urn", UNKNOWN)
    if sig == OUTPUT_SIG:
        inner = to_engine_form(value["value"]) if "value" in value else UNKNOWN
        return {SIG_KEY: SECRET_SIG, "value": inner} if value.get("secret") else inner
    return {k: to_engine_form(v) for k, v in value.items()}


def redact(value: Any) -> Any:
    """A copy for display: secrets replaced by '[secret]'."""
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return "[secret]"
        return {k: redact(v) for k, v in value.items()}
    return value
