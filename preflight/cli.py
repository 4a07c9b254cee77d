"""Command line: flags mirror `pulumi preview` where they overlap."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from preflight import EXIT_CLEAN, EXIT_FAILED, EXIT_VIOLATIONS, console, findings, packs, policyconfig, project
from preflight.errors import PreflightError
from preflight.graph import Graph

PROGRAM_TIMEOUT_S = 900
_HINTS = {
    "config": "Fix the value in the stack's config file; the message says what is allowed.",
    "invoke": "Give it an answer with --invoke-answers FILE (a JSON object: token -> result).",
    "program": "The Pulumi program raised an exception; run with --debug for the traceback.",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m preflight",
        description="Run a Pulumi Python program offline under mocks and check it with CrossGuard "
        "policy packs over the analyzer protocol. Exit 0: clean or advisory only; 1: mandatory "
        "violations; 2: the input, the program or a pack failed.",
    )
    p.add_argument("-C", "--cwd", default=".", metavar="DIR",
                   help="the Pulumi project directory (default: the current directory)")
    p.add_argument("-s", "--stack", metavar="NAME",
                   help="the stack whose Pulumi.<NAME>.yaml config is used (default: the only stack "
                   "file; with several, -s is required; a project with no stack file runs on its "
                   "Pulumi.yaml defaults)")
    p.add_argument("--config-file", metavar="FILE",
                   help="use this stack config file instead of Pulumi.<stack>.yaml (as in the Pulumi CLI)")
    p.add_argument("--policy-pack", action="append", default=[], metavar="DIR",
                   help="a policy pack directory to run (repeatable); relative to --cwd as in the Pulumi "
                   "CLI, or to the current directory")
    p.add_argument("--policy-pack-config", action="append", default=[], metavar="FILE|DIR=FILE",
                   help="JSON config for the --policy-pack in the same position (repeatable), in the format "
                   "of `pulumi preview --policy-pack-config`; or DIR=FILE: the config of the pack in directory "
                   "DIR (every value then in this form; a later DIR=FILE for a pack replaces an earlier one)")
    p.add_argument("--invoke-answers", metavar="FILE",
                   help="JSON object mapping invoke tokens (e.g. aws:ec2/getAmi:getAmi) to the result the "
                   "program should get, for data sources preflight/canned.py does not answer")
    p.add_argument("--out", metavar="DIR",
                   help="where to write graph.json, report.json, report.sarif, junit.xml and report.md "
                   "(default: <project>/out/preflight)")
    p.add_argument("--timeout", type=_seconds, default=PROGRAM_TIMEOUT_S, metavar="SECONDS",
                   help=f"stop the program if it has not finished after this long (default {PROGRAM_TIMEOUT_S})")
    p.add_argument("--fail-on-unknown", action="store_true",
                   help="also fail (exit 1) when a mandatory policy could not be evaluated because it read "
                   "values a preview cannot know (default: they are listed as not evaluable)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and pack output on failure")
    return p


MAX_TIMEOUT_S = 86_400  # a day; beyond it the run is stuck, and the OS timers overflow past ~24 days


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value <= MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds from 1 to {MAX_TIMEOUT_S}")
    return value


def _resolve(path: str, base: Path, what: str) -> Path:
    for candidate in (base / path, Path(path)):
        if candidate.exists():
            return candidate.resolve()
    raise PreflightError(f"the {what} does not exist", path, f"Paths are taken relative to {base} or to the "
                         "current directory.")


def _default_stack(directory: Path) -> str | None:
    stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))
    if len(stacks) > 1:
        raise PreflightError(
            "the project has several stacks and no -s/--stack was given", str(directory),
            f"Choose one of: {', '.join(stacks)}.",
        )
    return stacks[0] if stacks else None


def _require_stack_file(directory: Path, stack: str) -> None:
    """-s NAME must name an existing stack file, unless the project has none at all."""
    stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))
    if stacks and stack not in stacks:
        raise PreflightError(
            f"there is no stack file Pulumi.{stack}.yaml", str(directory),
            f"Stacks of this project: {', '.join(stacks)} (or pass --config-file FILE).",
        )


_CONFIG_FORMS = ("Give either one --policy-pack-config FILE per --policy-pack, in the same order, or "
                 "--policy-pack-config DIR=FILE for the packs whose config you set (DIR as given to --policy-pack; "
                 "a later DIR=FILE for the same pack replaces an earlier one).")


def _config_files(values: list[str], given: list[str], pack_dirs: list[Path], base: Path) -> list[str | None]:
    """The policy config file of each pack, in --policy-pack order (None: no config).

    Either every value is a FILE, paired with the packs by position as in the Pulumi CLI, or every
    value is DIR=FILE, naming its pack by directory (a preflight addition: one pack's config can be
    swapped without restating the others'; `python3 dev.py preflight` relies on it)."""
    keyed = [v for v in values if "=" in v]
    if not keyed:
        if values and len(values) != len(pack_dirs):
            raise PreflightError(
                f"{len(values)} --policy-pack-config file(s) for {len(pack_dirs)} --policy-pack(s)",
                "command line", _CONFIG_FORMS)
        return list(values) or [None] * len(pack_dirs)
    if len(keyed) != len(values):
        raise PreflightError(
            "--policy-pack-config mixes FILE and DIR=FILE forms: "
            + ", ".join(repr(v) for v in values if "=" not in v) + " has no DIR=", "command line", _CONFIG_FORMS)
    chosen: dict[Path, str] = {}
    for value in values:
        directory, _, file = value.partition("=")
        if not directory or not file:
            raise PreflightError(f"--policy-pack-config {value!r} is not DIR=FILE", "command line", _CONFIG_FORMS)
        candidates = {(base / directory).resolve(), Path(directory).resolve()}
        match = next((d for d in pack_dirs if d in candidates), None)
        if match is None:
            raise PreflightError(
                f"--policy-pack-config DIR=FILE names DIR {directory!r}, which is not the directory of any "
                "--policy-pack",
                "command line",
                f"DIR must name one of the --policy-pack directories: {', '.join(given) or '(none given)'}.")
        chosen[match] = file
    return [chosen.get(d) for d in pack_dirs]


def _invoke_answers(path: str, base: Path) -> str:
    resolved = _resolve(path, base, "invoke answers file")
    try:
        answers = json.loads(resolved.read_text())
    except json.JSONDecodeError as exc:
        raise PreflightError(f"the invoke answers file is not valid JSON: {exc.msg} at line {exc.lineno}",
                             str(resolved), 'Expected {"aws:ec2/getAmi:getAmi": {"id": "ami-0123", ...}}.') from exc
    bad = [k for k, v in answers.items() if not isinstance(v, dict)] if isinstance(answers, dict) else ["(top)"]
    if bad:
        raise PreflightError(f"invoke answers must map each token to a result object; not so for {bad}",
                             str(resolved), 'Expected {"aws:ec2/getAmi:getAmi": {"id": "ami-0123", ...}}.')
    return str(resolved)


def run_program(proj: project.Project, work: Path, debug: bool, answers: str | None = None,
                timeout: int = PROGRAM_TIMEOUT_S) -> Graph:
    graph_path = work / "graph.json"
    graph_path.unlink(missing_ok=True)
    env = dict(os.environ)
    env.update(proj.env())
    preflight_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [preflight_root, env.get("PYTHONPATH")]))
    if answers:
        env["PREFLIGHT_INVOKE_ANSWERS"] = answers
    # A large config would overflow the environment (Linux caps one variable at 128 KiB): hand it
    # over in a file, which the child puts into its own environment before the SDK reads it.
    config_file = work / "config.json"
    config_file.write_text(env.pop("PULUMI_CONFIG"))
    env["PREFLIGHT_CONFIG_FILE"] = str(config_file)
    python = proj.python or sys.executable
    try:
        done = subprocess.run(
            [python, "-m", "preflight.mockrun", str(proj.directory), str(proj.program), str(graph_path)],
            env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PreflightError(f"the program did not finish within {timeout}s", str(proj.program),
                             "Give it longer with --timeout SECONDS, or look for a loop or a hanging call "
                             "(--debug shows the output).") from exc
    if not graph_path.exists():
        lines = (done.stderr or done.stdout).strip().splitlines()
        last = lines[-1].strip() if lines else "(no output)"
        raise PreflightError(
            f"the program run crashed (exit {done.returncode}) before recording its resources: {last}",
            f"{proj.program}, run with {python}",
            "The interpreter needs pulumi>=3.260 and the program's own dependencies (is the project's "
            "virtualenv complete?); run with --debug for the whole output.",
            detail="\n".join(lines[-30:]),
        )
    graph = Graph.load(graph_path)
    if graph.error:
        kind = graph.error["kind"]
        # A config error is the stack file's fault; the code line that noticed it goes to --debug.
        where = str(proj.stack_file) if kind == "config" else graph.error.get("where", str(proj.program))
        message = graph.error["message"]
        if kind == "config":  # the program names the stack's usual file; --config-file may name another
            message = message.replace(f"Pulumi.{proj.stack}.yaml", proj.stack_file.name)
        hint = _HINTS.get(kind, "")
        if kind == "config":
            # A secret the program saw as a placeholder fails its check for that reason alone.
            placeholders = [k for k in proj.undecrypted if k in message or k.split(":", 1)[-1] in message]
            if placeholders:
                hint = (f"{', '.join(placeholders)} is a secret preflight could not decrypt, so the program saw "
                        "a placeholder: set PULUMI_CONFIG_PASSPHRASE (or _FILE) for a passphrase stack; other "
                        "secrets providers (Pulumi Cloud, KMS, Vault) cannot be opened offline.")
        raise PreflightError(
            f"{'invalid config' if kind == 'config' else 'the program failed'}: {message}",
            where,
            hint,
            detail=graph.error.get("detail", ""),
        )
    return graph


def execute(args: argparse.Namespace) -> int:
    base = Path(args.cwd)
    if not base.is_dir():
        problem = "is a file, not a directory" if base.exists() else "does not exist"
        raise PreflightError(f"the project directory {problem}", args.cwd,
                             "Pass -C/--cwd DIR naming a Pulumi project directory.")
    _start_reports(_out_dir(args))
    stack = args.stack or _default_stack(base.resolve())
    if args.stack and not args.config_file:
        _require_stack_file(base.resolve(), args.stack)
    config_file = _resolve(args.config_file, base.resolve(), "config file") if args.config_file else None
    proj = project.load(base, stack, config_file)
    pack_dirs = [_resolve(p, proj.directory, "policy pack directory") for p in args.policy_pack]
    configs: list[tuple[dict[str, Any], str]] = []
    for path in _config_files(args.policy_pack_config, args.policy_pack, pack_dirs, proj.directory):
        if path is None:
            configs.append(({}, packs.NO_CONFIG))
            continue
        resolved = _resolve(path, proj.directory, "policy config file")
        configs.append((policyconfig.read_file(resolved), str(resolved)))

    out_dir = _out_dir(args)
    notes = list(proj.notes)
    if not pack_dirs:
        raise PreflightError(
            "no --policy-pack given, so nothing would be checked", "command line",
            "Pass --policy-pack DIR (repeatable), e.g. --policy-pack policypacks/aws-baseline; "
            "`python3 dev.py preflight` passes every pack of this repository.",
        )
    answers = _invoke_answers(args.invoke_answers, proj.directory) if args.invoke_answers else None
    with tempfile.TemporaryDirectory(prefix="preflight-") as work:
        graph = run_program(proj, Path(work), args.debug, answers, args.timeout)
    env = dict(os.environ)
    env.update(proj.env())
    if len(env["PULUMI_CONFIG"]) > 64 * 1024:  # too big for an environment; ConfigureStack carries it
        del env["PULUMI_CONFIG"]
    results = [
        packs.analyze(d, graph, env, proj.config, cfg, source)
        for d, (cfg, source) in zip(pack_dirs, configs, strict=True)
    ]
    notes += [f"the program logged: {line}" for line in graph.logs]
    if not any(r.custom for r in graph.resources):
        notes.append("the program registered no cloud or Kubernetes resource: there was nothing to check")
    outcome = findings.collect(graph, results, notes, fail_on_unknown=args.fail_on_unknown)
    status = "fail" if outcome.blocking else "pass"
    from preflight import reports

    paths = reports.write_all(outcome, out_dir, status)
    print(console.render(outcome, status, paths))
    return EXIT_VIOLATIONS if outcome.blocking else EXIT_CLEAN


REPORT_FILES = ("graph.json", "report.json", "report.sarif", "junit.xml", "report.md")


def _out_dir(args: argparse.Namespace) -> Path:
    if args.out:
        return Path(args.out).resolve()
    return Path(args.cwd).resolve() / "out" / "preflight"


def _start_reports(out_dir: Path) -> None:
    """Before anything can fail: no report of an earlier run survives, and one says 'running'.

    A run that is killed or times out therefore never leaves a passing report behind."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in REPORT_FILES:
            (out_dir / name).unlink(missing_ok=True)
        (out_dir / "report.json").write_text(json.dumps({"status": "running"}))
    except OSError as exc:
        raise PreflightError(f"the report directory cannot be written: {exc.strerror}", str(out_dir),
                             "Pass --out DIR naming a writable directory.") from exc


def _write_error(out_dir: Path, what: str, paragraph: str) -> None:
    """Leave a report that says the run failed, so CI never mistakes a failure for a clean run."""
    try:
        (out_dir / "report.json").write_text(json.dumps({"status": "error", "error": what}, indent=1))
        (out_dir / "report.md").write_text(f"## preflight: **ERROR**\n\n{paragraph}\n")
    except OSError:
        pass  # the directory itself is the problem; the message on stderr says so


def _early_out_dir(argv: list[str]) -> Path | None:
    """The report directory, read leniently so that even a bad command line clears stale reports."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("-C", "--cwd", default=".")
    early.add_argument("--out")
    try:
        known, _ = early.parse_known_args(argv)
    except SystemExit:
        return None
    return _out_dir(known)


def main(argv: list[str]) -> int:
    out_dir = _early_out_dir(argv)
    try:
        if out_dir is not None and out_dir.parent.is_dir():
            _start_reports(out_dir)
        try:
            args = parser().parse_args(argv)  # a bad flag exits 2 with argparse's usage message
        except SystemExit as exc:
            if out_dir is not None:
                _write_error(out_dir, "bad command line", "preflight: bad command line (see stderr)")
            return EXIT_FAILED if exc.code else EXIT_CLEAN
        return execute(args)
    except PreflightError as exc:
        print(exc.paragraph(), file=sys.stderr)
        if "--debug" in argv and exc.detail:
            print(exc.detail, file=sys.stderr)
        if out_dir is not None:
            _write_error(out_dir, f"{exc.what} ({exc.where})", exc.paragraph())
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("preflight: interrupted", file=sys.stderr)
        if out_dir is not None:
            _write_error(out_dir, "interrupted", "preflight: interrupted")
        return EXIT_FAILED
    except Exception as exc:  # a bug in preflight itself must still exit 2, clearly
        text = f"preflight: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)"
        print(text, file=sys.stderr)
        if out_dir is not None:
            _write_error(out_dir, f"internal error: {type(exc).__name__}", text)
        if "--debug" in argv:
            import traceback

            traceback.print_exc()
        return EXIT_FAILED
