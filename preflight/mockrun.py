"""The child process: runs a Pulumi Python program under the mock monitor and records its graph.

    python -m preflight.mockrun PROJECT_DIR PROGRAM GRAPH_OUT

The parent sets PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS / PULUMI_PROJECT / PULUMI_STACK as the
language host would. The run is a preview of a new stack: custom resources get no id and their
computed outputs stay unknown, exactly as `pulumi preview` shows them before the first `up`.
Invokes are answered from preflight.canned; an invoke it does not know fails the run, naming the
token. Whatever happens, a graph file is written, with `error` set when the program failed.
"""

from __future__ import annotations

import json
import logging
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import settings as psettings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from preflight import canned
from preflight.graph import Graph, Resource, to_engine_form


class PreviewMocks(pmocks.Mocks):
    """A new-stack preview: inputs echo back as outputs, everything computed stays unknown."""

    def __init__(self, answers: dict[str, dict[str, Any]] | None = None) -> None:
        self.unknown_invokes: list[str] = []
        self.answers = answers or {}  # the user's own canned answers (--invoke-answers), checked first

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return ("", dict(args.inputs))

    def call(self, args: pmocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token in self.answers:
            return dict(self.answers[args.token])
        try:
            return canned.answer(args.token, dict(args.args))
        except canned.UnknownInvoke:
            self.unknown_invokes.append(args.token)
            raise


class RecordingMonitor(pmocks.MockMonitor):
    """The mock monitor, keeping every registration request in engine form."""

    def __init__(self, mocks: PreviewMocks, graph: Graph, project_dir: Path) -> None:
        super().__init__(mocks)
        self.graph = graph
        self.project_dir = project_dir
        self.urns: set[str] = set()

    def RegisterResource(self, request: Any) -> Any:  # gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if response.urn in self.urns:
            # The engine refuses this too: two resources of one type and name under one parent.
            raise RuntimeError(f"Duplicate resource URN '{response.urn}'; give each resource a unique name")
        self.urns.add(response.urn)
        pos = request.sourcePosition
        source = pos.uri.removeprefix("file://") if pos.uri else ""
        if ".venv" in Path(source).parts or "site-packages" in Path(source).parts:
            source = ""  # inside a library (e.g. the SDK's own Stack): no useful location
        elif source and Path(source).is_relative_to(self.project_dir):
            source = str(Path(source).relative_to(self.project_dir))
        self.graph.resources.append(
            Resource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                provider=_provider_ref(request),
                dependencies=list(request.dependencies),
                property_dependencies={
                    k: list(v.urns) for k, v in request.propertyDependencies.items()
                },
                inputs=to_engine_form(json_format.MessageToDict(request.object)),
                protect=bool(request.protect),
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=(
                    request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None
                ),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                source_file=source,
                source_line=pos.line,
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # gRPC method name
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.graph.outputs = to_engine_form(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:  # gRPC method name
        self.graph.invokes.append(request.tok)
        return super().Invoke(request)  # type: ignore[no-untyped-call]


def _provider_ref(request: Any) -> str:
    """The provider URN of a registration; resources without one use the engine's default."""
    if request.provider:
        return str(request.provider).rsplit("::", 1)[0]
    if not request.custom or request.type.startswith("pulumi:providers:"):
        return ""
    package = request.type.split(":", 1)[0]
    name = "default_" + request.version.replace(".", "_") if request.version else "default"
    return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::pulumi:providers:{package}::{name}"


def add_default_providers(graph: Graph, config: dict[str, str]) -> None:
    """Add the default providers the engine would create, configured from the stack's config."""
    known = {r.urn for r in graph.resources}
    for urn in sorted({r.provider for r in graph.resources if r.provider} - known):
        type_, name = urn.split("::")[2:4]
        package = type_.removeprefix("pulumi:providers:")
        inputs: dict[str, Any] = {
            key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(package + ":")
        }
        if name.startswith("default_"):
            inputs["version"] = name.removeprefix("default_").replace("_", ".")
        graph.resources.insert(1, Resource(urn=urn, type=type_, name=name, custom=True, inputs=inputs))


def _where(exc: BaseException, project_dir: Path) -> str:
    """The innermost frame of the user's own code, as `path:line`."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        path = Path(frame.filename)
        if path.is_relative_to(project_dir) and ".venv" not in path.parts:
            return f"{path.relative_to(project_dir)}:{frame.lineno}"
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "the program"


def _failure(exc: BaseException, mocks: PreviewMocks, project_dir: Path) -> dict[str, str]:
    detail = "".join(traceback.format_exception(exc))
    if mocks.unknown_invokes:
        token = mocks.unknown_invokes[0]
        where = _where(exc, project_dir)
        return {
            "kind": "invoke",
            "message": f"the program called the invoke '{token}', which preflight has no canned answer for",
            # invokes run on the SDK's worker thread, so the caller's line is not on the stack
            "where": where if not Path(where.split(":")[0]).is_absolute() else "the program (see --debug)",
            "detail": detail,
        }
    if isinstance(exc, pulumi.RunError):  # ConfigError and other clean program errors
        kind = "config" if type(exc).__name__ == "ConfigError" else "program"
        return {"kind": kind, "message": str(exc), "where": _where(exc, project_dir), "detail": detail}
    message = f"{type(exc).__name__}: {exc}"
    return {"kind": "program", "message": message, "where": _where(exc, project_dir), "detail": detail}


class _LogRecorder(logging.Handler):
    """Keeps the program's pulumi.log warnings and errors (insecure options announce themselves so)."""

    def __init__(self, graph: Graph) -> None:
        super().__init__(logging.WARNING)
        self.graph = graph

    def emit(self, record: logging.LogRecord) -> None:
        self.graph.logs.append(f"{record.levelname.lower()}: {record.getMessage()}")


def _run_path(main: Path) -> None:
    runpy.run_path(str(main), run_name="__main__")


def run(project_dir: Path, program: Path, graph_out: Path) -> int:
    config_file = os.environ.pop("PREFLIGHT_CONFIG_FILE", None)
    if config_file:
        os.environ["PULUMI_CONFIG"] = Path(config_file).read_text()
    project = os.environ["PULUMI_PROJECT"]
    stack = os.environ["PULUMI_STACK"]
    graph = Graph(project=project, stack=stack)
    answers_file = os.environ.get("PREFLIGHT_INVOKE_ANSWERS")
    mocks = PreviewMocks(json.loads(Path(answers_file).read_text()) if answers_file else None)
    monitor = RecordingMonitor(mocks, graph, project_dir)

    for key, value in pulumi.runtime.get_config_env().items():
        pulumi.runtime.set_config(key, value)
    logger = logging.getLogger("preflight.program")
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    logger.addHandler(_LogRecorder(graph))
    settings = pmocks.MockSettings(  # type: ignore[no-untyped-call]
        monitor=monitor,
        monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),  # type: ignore[no-untyped-call]
        engine=pmocks.MockEngine(logger),
        project=project,
        stack=stack,
        dry_run=True,
        organization="organization",
        callbacks=None,
    )
    psettings.configure(settings)

    main = program / "__main__.py" if program.is_dir() else program
    # The program imports what the language host would let it: its own directory and its
    # interpreter's packages, not preflight's checkout (already imported modules stay usable).
    own_root = Path(__file__).resolve().parent.parent
    sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != own_root or own_root == project_dir]
    sys.path.insert(0, str(main.parent))
    os.chdir(project_dir)
    code = 0
    try:
        _sync_await(run_in_stack(lambda: _run_path(main)))
    except SystemExit as exc:
        if exc.code not in (0, None):
            graph.error = {
                "kind": "program",
                "message": f"the program exited with status {exc.code}",
                "where": str(main.relative_to(project_dir)),
                "detail": "",
            }
            code = 1
    except BaseException as exc:  # every failure is reported, never swallowed
        graph.error = _failure(exc, mocks, project_dir)
        code = 1
    add_default_providers(graph, pulumi.runtime.get_config_env())
    graph.save(graph_out)
    return code


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), Path(sys.argv[3])))
