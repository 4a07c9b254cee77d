#!/usr/bin/env python3
"""Project entry point: sets up its own virtual environment, then runs a job.

    python3 dev.py preflight [extra preflight flags]   # the dev stack through every policy pack
                                                       # (--policy-pack-config policypacks/<pack>=FILE
                                                       #  swaps one pack's config)
    python3 dev.py test [extra pytest flags]           # ruff, mypy and the test suite
    python3 dev.py engine [--force]                    # build the real Pulumi engine (needs Go)

Needs nothing but Python 3.11. The environment lives in .venv/ and is rebuilt whenever
requirements*.txt change (a hash of them is kept in .venv/.requirements-hash).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")

# The packs the dev stack is checked against; the same list CI uses.
POLICY_PACKS = sorted(p.name for p in (ROOT / "policypacks").iterdir() if (p / "PulumiPolicy.yaml").exists())


def _requirements_hash() -> str:
    digest = hashlib.sha256()
    for name in REQUIREMENTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_venv() -> None:
    stamp = VENV / ".requirements-hash"
    wanted = _requirements_hash()
    if PYTHON.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return
    print("dev.py: creating .venv and installing requirements-dev.txt (first run takes a minute)", flush=True)
    if not PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(ROOT / "requirements-dev.txt")], check=True)
    stamp.write_text(wanted + "\n")


def run(cmd: list[str], cwd: Path = ROOT) -> int:
    print("+ " + " ".join(cmd), flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.call(cmd, cwd=cwd, env=env)


def preflight(extra: list[str]) -> int:
    """The dev stack through every pack, each with its dev policy config (policypacks/config/dev/).

    The configs are given as DIR=FILE, so `--policy-pack-config policypacks/<pack>=FILE` among the
    extra flags replaces that pack's default (preflight keeps the last DIR=FILE for a pack)."""
    args = []
    for pack in POLICY_PACKS:
        args += ["--policy-pack", f"policypacks/{pack}"]
    for pack in POLICY_PACKS:
        args += ["--policy-pack-config", f"policypacks/{pack}=policypacks/config/dev/{pack}.json"]
    # Run from the caller's directory (-C names the project), so relative paths among the extra
    # flags (--config-file, --policy-pack-config DIR=FILE, --out) mean what the caller typed.
    return run([str(PYTHON), "-m", "preflight", "-C", str(ROOT), "-s", "dev", *args, *extra], cwd=Path.cwd())


def test(extra: list[str]) -> int:
    for step in (
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "mypy")],
    ):
        code = run(step)
        if code:
            return code
    return run([str(PYTHON), "-m", "pytest", *extra])


def engine(extra: list[str]) -> int:
    """Build the real Pulumi CLI and Kubernetes provider from the Go module proxy into .tools/bin."""
    return run(["bash", "tools/build-engine.sh", *extra])


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - the check users on an old Python hit first
        print(f"dev.py: Python 3.11 or newer is needed, this is {sys.version.split()[0]}", file=sys.stderr)
        return 2
    jobs = {"preflight": preflight, "test": test, "engine": engine}
    if not argv or argv[0] not in jobs:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_venv()
    return jobs[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
