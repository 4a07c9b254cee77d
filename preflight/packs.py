"""Start policy packs as the Pulumi engine does and speak the analyzer protocol to them.

A pack is started as `python -u -m pulumi.policy ENGINE_ADDRESS PACK_DIR` in the pack's directory
(the command the CLI's Python policy host runs; preflight.packhost wraps it only to log policy
exceptions to stderr); it prints the port of its Analyzer gRPC server on
its first stdout line. preflight then calls GetAnalyzerInfo, Configure, ConfigureStack, Analyze for
every resource and AnalyzeStack once, the same calls `pulumi preview --policy-pack` makes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from preflight.errors import PreflightError
from preflight.graph import Graph, Resource
from preflight.policyconfig import PolicyDefaults, reconcile

START_TIMEOUT_S = 120
CALL_TIMEOUT_S = 300  # one Analyze/AnalyzeStack call; a policy that loops forever must not hang CI
NO_CONFIG = "(no policy config)"  # the config source of a pack given no --policy-pack-config
_PREFLIGHT_ROOT = str(Path(__file__).resolve().parent.parent)
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                 ("grpc.max_send_message_length", 400 * 1024 * 1024)]
_LEVEL_NAMES = {proto.ADVISORY: "advisory", proto.MANDATORY: "mandatory",
                proto.REMEDIATE: "remediate", proto.DISABLED: "disabled"}
_LEVEL_VALUES = {v: k for k, v in _LEVEL_NAMES.items()}
_SEVERITY_NAMES = {proto.POLICY_SEVERITY_UNSPECIFIED: "unspecified", proto.POLICY_SEVERITY_LOW: "low",
                   proto.POLICY_SEVERITY_MEDIUM: "medium", proto.POLICY_SEVERITY_HIGH: "high",
                   proto.POLICY_SEVERITY_CRITICAL: "critical"}


@dataclass
class PolicyInfo:
    name: str
    description: str
    level: str
    severity: str
    remediation: str
    framework: dict[str, str]
    tags: list[str]
    kind: str  # "resource" | "stack"
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class Diagnostic:
    pack: str
    policy: str
    level: str
    severity: str
    urn: str
    message: str


@dataclass
class PackResult:
    name: str
    version: str
    directory: str
    policies: dict[str, PolicyInfo]
    diagnostics: list[Diagnostic]
    analyze_calls: int = 0


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


def _pack_version(pack_dir: Path, reported: str) -> str:
    """The CLI takes a Python pack's version from PulumiPolicy.yaml (the SDK always says 0.0.1)."""
    meta = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    version = meta.get("version") if isinstance(meta, dict) else None
    return str(version) if version else reported


def _python_for(pack_dir: Path) -> str:
    """The pack's own virtualenv if PulumiPolicy.yaml names one that exists, else this Python."""
    meta_file = pack_dir / "PulumiPolicy.yaml"
    if not meta_file.exists():
        raise PreflightError(
            "no PulumiPolicy.yaml in the policy pack directory",
            str(pack_dir),
            "--policy-pack takes a directory holding PulumiPolicy.yaml and the pack's __main__.py.",
        )
    try:
        meta = yaml.safe_load(meta_file.read_text()) or {}
    except yaml.YAMLError as exc:
        raise PreflightError("PulumiPolicy.yaml is not valid YAML", str(meta_file), str(exc)) from exc
    runtime = meta.get("runtime") if isinstance(meta, dict) else None
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        raise PreflightError(
            f"the policy pack's runtime is {name!r}",
            str(meta_file),
            "preflight starts Python policy packs (runtime: python).",
        )
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if venv and (pack_dir / venv / "bin" / "python").exists():
        return str(pack_dir / venv / "bin" / "python")
    return sys.executable


def _tail(stream: IO[bytes], lines: int = 15) -> str:
    stream.flush()
    stream.seek(0)
    text = stream.read().decode(errors="replace").strip().splitlines()
    return "\n".join(text[-lines:])


def _first_line(proc: subprocess.Popen[bytes], timeout: float) -> str | None:
    box: list[bytes] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return box[0].decode(errors="replace").strip() if box else None


def _error_line(stderr_tail: str) -> str:
    """The most telling line of a crashed pack's stderr: the exception, not the traceback."""
    lines = [ln.strip() for ln in stderr_tail.splitlines() if ln.strip()]
    for line in reversed(lines):
        if not line.startswith(("File ", "^", "~")) and not line.startswith("Traceback"):
            return line
    return lines[-1] if lines else "(no output)"


def _crash_parts(stderr: IO[bytes], pack_dir: Path) -> tuple[str, str]:
    """(`KeyError: 'spec'`, ` at policies.py:7 in explode`) from the traceback the pack's gRPC server logged."""
    tail = _tail(stderr, 60)
    where = ""
    for line in tail.splitlines():
        stripped = line.strip()
        if stripped.startswith("File ") and str(pack_dir) in stripped:
            parts = stripped.split('"')
            if len(parts) >= 3:
                path = Path(parts[1])
                rest = parts[2].strip(", ").replace("line ", "")
                lineno, _, func = rest.partition(", in ")
                where = f" at {path.relative_to(pack_dir) if path.is_relative_to(pack_dir) else path}:{lineno}"
                where += f" in {func}" if func else ""
    return _error_line(tail), where


# A policy that rejects its config raises an exception named so (k8s_baseline.config.PolicyConfigError,
# aws_baseline.util.PolicyConfigError, ...): the traceback's last line is `module.NameConfigError: message`.
_CONFIG_ERROR = re.compile(r"(?P<type>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*ConfigError)(?::\s*(?P<message>.*))?")


@dataclass
class PackProcess:
    stub: analyzer_pb2_grpc.AnalyzerStub
    stderr: IO[bytes]
    directory: Path

    def failure(self, exc: grpc.RpcError, pack: str, urn: str | None, config_source: str) -> PreflightError:
        """The error for a failed Analyze (`urn`) or AnalyzeStack (None) call: a timeout, a policy that
        rejected its config (the config's fault), or a policy that crashed (the code's fault)."""
        if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            return PreflightError(
                f"policy pack '{pack}' did not finish {f'analyzing {urn}' if urn else 'its stack policies'} "
                f"within {CALL_TIMEOUT_S}s", str(self.directory), "A policy loops or blocks; fix it.")
        during = f"while analyzing {urn}" if urn else "in a stack policy"
        line, where = _crash_parts(self.stderr, self.directory)
        if line == "(no output)":
            line, where = _rpc_text(exc), ""
        detail = f"{_tail(self.stderr, 60)}\n{exc}".strip()
        config_error = _CONFIG_ERROR.fullmatch(line)
        if config_error:
            message = (config_error["message"] or "(no message)").rstrip(".")
            kind = config_error["type"].rsplit(".", 1)[-1]
            given = "" if config_source != NO_CONFIG else (
                " No --policy-pack-config was given for this pack, so its own defaults were rejected.")
            return PreflightError(
                f"invalid policy config: pack '{pack}' rejected it {during}: {message}",
                config_source.strip("()"),  # a file, or "no policy config"
                f"Fix the policy config, not the policy code: the pack's {kind} names what is wrong and what is "
                f"allowed.{given} Run with --debug for where the pack raised it.",
                detail=detail,
            )
        return PreflightError(
            f"policy pack '{pack}' crashed {during}: {line}{where}",
            str(self.directory),
            f"A {'' if urn else 'stack '}policy raised an exception; fix the policy (run with --debug for details).",
            detail=detail,
        )


@contextlib.contextmanager
def started(pack_dir: Path, env: dict[str, str]) -> Iterator[PackProcess]:
    pack_dir = pack_dir.resolve()
    python = _python_for(pack_dir)
    with tempfile.TemporaryFile() as stderr:
        host_env = dict(env)
        host_env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PREFLIGHT_ROOT, env.get("PYTHONPATH")]))
        proc = subprocess.Popen(
            [python, "-u", "-m", "preflight.packhost", "127.0.0.1:0", str(pack_dir)],
            cwd=pack_dir,
            env=host_env,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        try:
            line = _first_line(proc, START_TIMEOUT_S)
            if not line or not line.isdigit():
                timed_out = line is None and proc.poll() is None
                proc.kill()
                proc.wait()
                tail = _tail(stderr)
                if timed_out:
                    what = f"the policy pack printed no port within {START_TIMEOUT_S}s"
                elif line:
                    what = f"the policy pack printed {line[:80]!r} where the engine expects its port number"
                else:
                    what = f"the policy pack failed to start: {_error_line(tail)}"
                raise PreflightError(
                    what, str(pack_dir),
                    "A pack's first line on stdout must be its gRPC port, as `python -m pulumi.policy` prints "
                    "it; run with --debug for the pack's output.",
                    detail=tail,
                )
            # Keep reading the pack's stdout: a policy that prints would otherwise fill the pipe and block.
            assert proc.stdout is not None
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            channel = grpc.insecure_channel(f"127.0.0.1:{line}", options=_GRPC_OPTIONS)
            try:
                grpc.channel_ready_future(channel).result(timeout=30)
            except grpc.FutureTimeoutError as exc:
                raise PreflightError(
                    f"the policy pack printed port {line} but did not answer on it within 30s"
                    + (f" (it exited with status {proc.poll()})" if proc.poll() is not None else ""),
                    str(pack_dir), "Run with --debug for the pack's output.", detail=_tail(stderr),
                ) from exc
            try:
                yield PackProcess(analyzer_pb2_grpc.AnalyzerStub(channel), stderr, pack_dir)
            finally:
                channel.close()
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _policy_infos(info: Any) -> dict[str, PolicyInfo]:
    result = {}
    for p in info.policies:
        schema: dict[str, Any] | None = None
        if p.HasField("configSchema"):
            schema = {"properties": dict(_to_py(p.configSchema.properties))}
            if p.configSchema.required:
                schema["required"] = list(p.configSchema.required)
        result[p.name] = PolicyInfo(
            name=p.name,
            description=p.description,
            level=_LEVEL_NAMES.get(p.enforcementLevel, "advisory"),
            severity=_SEVERITY_NAMES.get(p.severity, "unspecified"),
            remediation=p.remediation_steps,
            framework={
                "name": p.framework.name,
                "version": p.framework.version,
                "reference": p.framework.reference,
                "specification": p.framework.specification,
            },
            tags=list(p.tags),
            kind="stack" if p.policy_type == proto.PolicyType.POLICY_TYPE_STACK else "resource",
            config=schema or {},
        )
    return result


def _to_py(value: Any) -> Any:
    from google.protobuf import json_format

    return json.loads(json_format.MessageToJson(value)) if value is not None else None


def _configure(stub: Any, pack: str, info: Any, policies: dict[str, PolicyInfo],
               user_config: dict[str, Any], source: str) -> None:
    initial = {}
    for key, cfg in info.initialConfig.items():
        entry: dict[str, Any] = dict(_to_py(cfg.properties) or {})
        entry["enforcementLevel"] = _LEVEL_NAMES.get(cfg.enforcementLevel, "advisory")
        initial[key] = entry
    defaults = [
        PolicyDefaults(p.name, p.level, p.config or None) for p in policies.values()
    ]
    final = reconcile(pack, defaults, initial, user_config, source)
    request = proto.ConfigureAnalyzerRequest()
    for name, (level, props) in final.items():
        pc = proto.PolicyConfig(enforcementLevel=_LEVEL_VALUES[level])
        pc.properties.update(props)
        request.policyConfig[name].CopyFrom(pc)
        policies[name].level = level
    stub.Configure(request, timeout=60)


def _options(r: Resource) -> Any:
    return proto.AnalyzerResourceOptions(
        protect=r.protect,
        ignoreChanges=r.ignore_changes,
        deleteBeforeReplace=bool(r.delete_before_replace),
        deleteBeforeReplaceDefined=r.delete_before_replace is not None,
        additionalSecretOutputs=r.additional_secret_outputs,
        parent=r.parent,
    )


def _provider(r: Resource, by_urn: dict[str, Resource]) -> Any:
    prov = by_urn.get(r.provider)
    if prov is None:
        return None
    return proto.AnalyzerProviderResource(
        type=prov.type, properties=_struct(prov.inputs), urn=prov.urn, name=prov.name
    )


def analyze(
    pack_dir: Path,
    graph: Graph,
    env: dict[str, str],
    config: dict[str, str],
    user_config: dict[str, Any],
    config_source: str,
) -> PackResult:
    with started(pack_dir, env) as pack:
        stub = pack.stub
        try:
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
        except grpc.RpcError as exc:
            raise PreflightError(
                f"the policy pack did not answer GetAnalyzerInfo: {exc.details()}", str(pack_dir)
            ) from exc
        policies = _policy_infos(info)
        _configure(stub, info.name, info, policies, user_config, config_source)
        with contextlib.suppress(grpc.RpcError):  # older packs do not implement ConfigureStack
            stub.ConfigureStack(
                proto.AnalyzerStackConfigureRequest(
                    stack=graph.stack, project=graph.project, organization="organization",
                    dry_run=True, config=config,
                )
            )
        result = PackResult(info.name, _pack_version(pack_dir, info.version), str(pack_dir), policies, [])
        by_urn = graph.by_urn()

        def collect(response: Any, default_urn: str) -> None:
            for d in response.diagnostics:
                result.diagnostics.append(Diagnostic(
                    pack=info.name,
                    policy=d.policyName,
                    level=_LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                    severity=_SEVERITY_NAMES.get(d.severity, "unspecified"),
                    urn=d.urn or default_urn,
                    message=d.message,
                ))

        for r in graph.resources:
            request = proto.AnalyzeRequest(
                type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name,
                options=_options(r), provider=_provider(r, by_urn),
            )
            try:
                collect(stub.Analyze(request, timeout=CALL_TIMEOUT_S), r.urn)
            except grpc.RpcError as exc:
                raise pack.failure(exc, info.name, r.urn, config_source) from exc
            result.analyze_calls += 1
        stack_request = proto.AnalyzeStackRequest(resources=[
            proto.AnalyzerResource(
                type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name,
                options=_options(r), provider=_provider(r, by_urn), parent=r.parent,
                dependencies=r.dependencies,
                propertyDependencies={
                    k: proto.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items()
                },
            )
            for r in graph.resources
        ])
        try:
            collect(stub.AnalyzeStack(stack_request, timeout=CALL_TIMEOUT_S), "")
        except grpc.RpcError as exc:
            raise pack.failure(exc, info.name, None, config_source) from exc
        return result


def _rpc_text(exc: grpc.RpcError) -> str:
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return (details or str(exc)).strip().splitlines()[-1]
