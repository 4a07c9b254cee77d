"""Judge NetworkPolicies with cyclonus's policy matcher (tools/netpol-check), not with our own code.

`verdicts(policies, traffic)` answers, for each connection, whether the policies allow it on the
sending pod's side (egress) and on the receiving pod's side (ingress). A connection goes through
only when both allow it. The checker is built from its Go module into .tools/bin on first use;
without Go, `checker()` returns None and the tests skip with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from preflight.policyconfig import integral_numbers
from tests.mocks import ROOT

SOURCE = ROOT / "tools" / "netpol-check"
BINARY = ROOT / ".tools" / "bin" / "netpol-check"
SKIP_REASON = ("netpol-check needs a Go toolchain to build github.com/mattfenwick/cyclonus's matcher "
               "(tools/netpol-check); none is on PATH")


@dataclass(frozen=True)
class Pod:
    """A pod as NetworkPolicies see it: namespace, pod labels, address."""

    namespace: str
    labels: Mapping[str, str]
    ip: str = "10.20.100.1"

    def peer(self) -> dict[str, Any]:
        return {
            "Internal": {
                "Namespace": self.namespace,
                # The API server sets this label on every namespace.
                "NamespaceLabels": {"kubernetes.io/metadata.name": self.namespace},
                "PodLabels": dict(self.labels),
            },
            "IP": self.ip,
        }


@dataclass(frozen=True)
class Address:
    """An address that is not a pod on the pod network: a node, the API server, the internet."""

    ip: str

    def peer(self) -> dict[str, Any]:
        return {"IP": self.ip}


@dataclass(frozen=True)
class Verdict:
    egress: bool
    ingress: bool

    @property
    def allowed(self) -> bool:
        return self.egress and self.ingress


@cache
def checker() -> str | None:
    """The built checker, rebuilt when its source is newer; None without Go."""
    go = shutil.which("go")
    if go is None:
        return str(BINARY) if BINARY.exists() else None
    newest = max(p.stat().st_mtime for p in SOURCE.iterdir())
    if not BINARY.exists() or BINARY.stat().st_mtime < newest:
        BINARY.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([go, "build", "-o", str(BINARY), "."], cwd=SOURCE, check=True, capture_output=True,
                       timeout=900, env={**os.environ, "GOFLAGS": "-mod=mod"})
    return str(BINARY)


def verdicts(policies: Sequence[Mapping[str, Any]],
             connections: Sequence[tuple[Pod | Address, Pod | Address, int, str]]) -> list[Verdict]:
    """For each (source, destination, port, protocol): what the policies decide on each side."""
    binary = checker()
    assert binary is not None, SKIP_REASON
    request = {
        "policies": [integral_numbers(dict(p)) for p in policies],  # Struct numbers are doubles
        "traffic": [
            {"Source": src.peer(), "Destination": dst.peer(), "ResolvedPort": port, "Protocol": protocol}
            for src, dst, port, protocol in connections
        ],
    }
    done = subprocess.run([binary], input=json.dumps(request), capture_output=True, text=True, check=False,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return [Verdict(egress=v["egress"], ingress=v["ingress"]) for v in json.loads(done.stdout)]
