#!/usr/bin/env python3
"""Start a Python CrossGuard pack as a *binary* analyzer plugin of the Pulumi CLI.

The CLI (v3.274) starts a policy-pack directory through the Python language host's RunPlugin, and that
host (pulumi-language-python) cannot be built here (see README.md). The CLI also accepts an executable
file as `--policy-pack`: it runs it with `[flags...] <engine address>` from the program's directory, reads
the gRPC port from its first stdout line, and takes the pack's description and version from a
PulumiPolicy.yaml next to the executable (pkg/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer).

run_pulumi.py makes, per pack, a directory holding a symlink to this file and a symlink to the pack's
PulumiPolicy.yaml. This script finds the pack through that symlink and runs the Python SDK's own pack
entry point, `python -u -m pulumi.policy [flags...] <engine> <pack dir>`, from the pack directory (the
working directory the CLI's older analyzer shim used). Interpreter: the pack's runtime.options.virtualenv
when set (it must exist: nothing is installed here), else the Python running this script.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml


def pack_dir(launcher: Path) -> Path:
    manifest = launcher.parent / "PulumiPolicy.yaml"
    if not manifest.exists():
        raise SystemExit(f"policy_pack_launcher: {manifest} not found (expected a symlink to the pack's manifest)")
    return manifest.resolve().parent


def interpreter(pack: Path) -> str:
    manifest: Any = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text()) or {}
    runtime = manifest.get("runtime")
    options = runtime.get("options") or {} if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv")
    if not venv:
        return sys.executable
    python = (pack / venv).resolve() / "bin" / "python"
    if not python.exists():
        raise SystemExit(
            f"policy_pack_launcher: runtime.options.virtualenv of {pack} points at {python.parent.parent}, "
            "which has no bin/python; create it and install the pack's requirements.txt first"
        )
    return str(python)


def main(argv: list[str]) -> int:
    # Not resolved: the symlink's directory is the one holding the pack's PulumiPolicy.yaml link.
    pack = pack_dir(Path(os.path.abspath(argv[0])))
    python = interpreter(pack)
    os.chdir(pack)
    # exec, not a child: the CLI owns this process (it reads its stdout for the port and kills it when done).
    os.execv(python, [python, "-u", "-m", "pulumi.policy", *argv[1:], str(pack)])  # noqa: S606


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
