"""Run preflight as a user does: a subprocess, its exit code, its output and its report files."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out: Path

    def report(self) -> dict[str, Any]:
        return json.loads((self.out / "report.json").read_text())

    def mandatory(self) -> set[tuple[str, str]]:
        """(policy, resource name) of every mandatory violation."""
        return {
            (f["policy"], f["resource_name"])
            for f in self.report()["findings"]
            if f["kind"] == "violation" and f["level"] == "mandatory"
        }


def preflight(*args: str, out: Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "preflight", *args, "--out", str(out)],
        cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env or {})},
    )
    return Run(done.returncode, done.stdout, done.stderr, out)
