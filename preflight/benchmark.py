"""Measure preflight on a stack: wall time and peak memory of the whole process tree.

    python -m preflight.benchmark [--runs N] [preflight flags ...]

Peak memory is the largest sum of resident set sizes of preflight and all its children (the
program run and every policy pack) seen while sampling /proc every 20 ms, so it is what the
machine must hold at once. Targets for the dev stack: under 15 s and under 500 MB.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(k) for k in text.split()]
    return kids + [g for k in kids for g in _children(k)]


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(args: list[str]) -> tuple[float, float, int, str]:
    """Return (wall seconds, peak tree RSS in MiB, exit code, stderr) of one preflight run."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "preflight", *args], stdout=subprocess.DEVNULL, stderr=err)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, sum(_rss_kib(p) for p in [proc.pid, *_children(proc.pid)]))
            time.sleep(0.02)
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    return wall, peak / 1024, proc.returncode, stderr


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m preflight.benchmark")
    parser.add_argument("--runs", type=_positive, default=3, help="how many runs (at least 1)")
    ns, rest = parser.parse_known_args(argv)
    print(f"preflight {' '.join(rest)}")
    rows = []
    for _ in range(ns.runs):
        row = measure(rest)
        if row[2] not in (0, 1):  # the figures of a run that failed measure nothing worth reporting
            print(f"FAILED: preflight exited {row[2]}, so no figures are reported:\n{row[3].strip()}")
            return 2
        rows.append(row)
    walls = [w for w, _, _, _ in rows]
    peaks = [m for _, m, _, _ in rows]
    codes = sorted({c for _, _, c, _ in rows})
    print(f"runs: {ns.runs}, exit codes: {codes}")
    print(f"wall time: median {statistics.median(walls):.2f} s, min {min(walls):.2f} s, max {max(walls):.2f} s")
    print(f"peak memory (process tree RSS): median {statistics.median(peaks):.0f} MiB, max {max(peaks):.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
