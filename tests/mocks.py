"""Run components (or the whole program) under Pulumi's mock monitor and record what they register.

- `PlatformMocks` answers invokes through `preflight.canned.answer` (the same answers preflight
  gives) and echoes a resource's inputs back as its state, adding the outputs AWS would compute
  (id, arn, the cluster's endpoint and OIDC issuer, a launch template's version).
- `RecordingMonitor` keeps every registration: type, name, URN, parent, dependencies and inputs
  in engine form (camelCase), so tests assert on what the engine and policy packs would see.
- `run(program, config=...)` sets config and mocks, runs `program` to completion (all outputs
  resolved) and returns the `Recording`.
"""

from __future__ import annotations

import json
import logging
import runpy
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from preflight.canned import ACCOUNT_ID, answer

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "devsecops-platform"
REGION = "us-east-1"
CLUSTER_ENDPOINT = "https://0123456789ABCDEF0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com"
OIDC_ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
CLUSTER_SG_ID = "sg-0eks0cluster0000001"
CA_DATA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZB"


def fake_arn(type_token: str, name: str, inputs: Mapping[str, Any]) -> str:
    """An ARN of the shape AWS gives that resource type, in the test account."""
    service = type_token.split(":")[1].split("/")[0]
    physical = str(inputs.get("name") or name)
    if type_token == "aws:iam/role:Role":
        return f"arn:aws:iam::{ACCOUNT_ID}:role/{physical}"
    if type_token == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        return f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{str(inputs['url']).removeprefix('https://')}"
    if type_token == "aws:kms/key:Key":
        return f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
    if type_token == "aws:cloudwatch/logGroup:LogGroup":
        return f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{physical}"
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{type_token.rsplit(':', 1)[1].lower()}/{physical}"


class PlatformMocks(pulumi.runtime.Mocks):
    """Canned invokes; resources echo their inputs plus the outputs AWS computes."""

    def __init__(self) -> None:
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.invokes.append((args.token, dict(args.args)))
        return answer(args.token, dict(args.args)), []  # the monitor iterates the failures list

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ.startswith("aws:"):
            state.setdefault("arn", fake_arn(args.typ, args.name, args.inputs))
        if args.typ == "aws:eks/cluster:Cluster":
            state["endpoint"] = CLUSTER_ENDPOINT
            state["certificateAuthority"] = {"data": CA_DATA}
            state["identities"] = [{"oidcs": [{"issuer": OIDC_ISSUER}]}]
            state["vpcConfig"] = {**state.get("vpcConfig", {}), "clusterSecurityGroupId": CLUSTER_SG_ID}
        if args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state["latestVersion"] = 1
        if args.typ == "aws:iam/role:Role":
            # The provider auto-names roles (here: the logical name), and a role's id is its name.
            state.setdefault("name", args.name)
            return str(state["name"]), state
        return f"{args.name}-id", state


@dataclass(frozen=True)
class Registration:
    """One registered resource as the engine saw it."""

    type: str
    name: str
    urn: str
    parent: str
    dependencies: tuple[str, ...]
    inputs: dict[str, Any]


class RecordingMonitor(MockMonitor):
    """The mock monitor, also keeping each registration's parent, dependencies and inputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.recorded.append(Registration(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                dependencies=tuple(request.dependencies),
                inputs=rpc.deserialize_properties(request.object),
            ))
        return response


def is_secret(value: Any) -> bool:
    """Whether a deserialised input is a secret (the engine's secret wrapper)."""
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def unsecret(value: Any) -> Any:
    """The plain value inside a secret wrapper (other values unchanged)."""
    return value["value"] if is_secret(value) else value


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelno, record.getMessage()))


@dataclass
class Recording:
    """Everything one mocked run registered, invoked and logged."""

    resources: list[Registration]
    invokes: list[tuple[str, dict[str, Any]]]
    logs: list[tuple[int, str]] = field(default_factory=list)

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_token} {name or ''}, got {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Registration:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, got {len(found)}"
        return found[0]

    def counts(self) -> Counter[str]:
        return Counter(r.type for r in self.resources)

    def children_of(self, parent: Registration) -> list[Registration]:
        return [r for r in self.resources if r.parent == parent.urn]

    def warnings(self) -> list[str]:
        return [message for level, message in self.logs if level == logging.WARNING]


def run(program: Callable[[], object], *, config: Mapping[str, str] | None = None,
        secret_keys: Iterable[str] = (), stack: str = "dev", preview: bool = False) -> Recording:
    """Run `program` under mocks with the given engine-form config; return what it registered.

    Exceptions from the program (a ConfigError, say) propagate to the caller."""
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))
    mocks = PlatformMocks()
    monitor = RecordingMonitor(mocks)
    handler = _ListHandler()
    logger = logging.getLogger(f"tests.mocks.{id(monitor)}")
    logger.addHandler(handler)
    logger.propagate = False
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor,
                             logger=logger)

    @pulumi.runtime.test
    def body() -> object:
        return program()  # an Output returned here is awaited before the run ends

    try:
        body()
    finally:
        logger.removeHandler(handler)
    return Recording(monitor.recorded, mocks.invokes, handler.messages)


def engine_config(stack_file: Path, project_file: Path = ROOT / "Pulumi.yaml") -> dict[str, str]:
    """A stack's config as the CLI hands it to the program: namespaced keys, values as text
    (objects and lists as JSON), with Pulumi.yaml's defaults for keys the stack does not set."""
    project = yaml.safe_load(project_file.read_text())
    stack = yaml.safe_load(stack_file.read_text()).get("config") or {}
    merged: dict[str, Any] = {}
    for key, declaration in (project.get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            merged[key if ":" in key else f"{project['name']}:{key}"] = declaration["default"]
    merged.update(stack)

    def text(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    return {key: text(value) for key, value in merged.items()}


def run_main(config: Mapping[str, str], **kwargs: Any) -> Recording:
    """Run the project's __main__.py under mocks, as `pulumi preview` would run it."""
    def program() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    return run(program, config=config, **kwargs)
