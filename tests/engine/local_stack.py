"""Running the platform's `local` stack through the real engine and through preflight, and reading
what each reports. Used by tests/engine/test_local_stack.py; see its docstring for what is real.

- `copy_program`: the repository's program files into a scratch directory, so the CLI's writes
  (Pulumi.local.yaml, the rendered manifests under out/) never touch the working tree.
- `engine`: tools/engine/run_pulumi.py in that copy; `preview` streams the engine's JSON events.
- `policy_events` / `preflight_findings`: the violations each side reported, as `Finding`s.
- `validate_manifests`: every rendered manifest against the Kubernetes schemas (kubernetes-validate)
  and every custom resource against the CRDs rendered with it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tools" / "engine" / "run_pulumi.py"
PACKS = ("aws-baseline", "cicd-baseline", "kubernetes-baseline", "observability-baseline", "zero-trust-mesh")
PASSPHRASE = "engine-local"  # the passphrase of Pulumi.local.yaml's encryption salt
RENDER_DIR = "out/local-manifests"  # cluster.renderYamlToDirectory in Pulumi.local.yaml
_NOT_PROGRAM = shutil.ignore_patterns(".git", ".venv", ".tools", "out", "__pycache__", ".*_cache")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


@dataclass(frozen=True)
class Finding:
    """One reported violation, as both sides can name it."""

    pack: str
    policy: str
    resource: str  # the Pulumi resource name ("" for a stack policy reported on no resource)
    level: str  # mandatory | advisory
    resource_type: str = field(default="", compare=False)
    parent_types: tuple[str, ...] = field(default=(), compare=False)  # from the URN, outermost first
    message: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.policy, self.resource, self.level)

    @property
    def in_chart(self) -> bool:
        """The resource is an object rendered from a Helm v4 Chart (a child the engine registers)."""
        return "kubernetes:helm.sh/v4:Chart" in self.parent_types


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def copy_program(dest: Path) -> Path:
    """The repository minus VCS, environments and outputs (2-3 MB): the program, its assets, the charts."""
    shutil.copytree(ROOT, dest, ignore=_NOT_PROGRAM, symlinks=True)
    return dest


def pack_args(config_dir: str = "dev", packs: Iterable[str] = PACKS) -> list[str]:
    """--policy-pack DIR --policy-pack-config FILE for each pack, paths from the repository."""
    args: list[str] = []
    for pack in packs:
        args += ["--policy-pack", str(ROOT / "policypacks" / pack),
                 "--policy-pack-config", str(ROOT / "policypacks" / "config" / config_dir / f"{pack}.json")]
    return args


def engine(program: Path, work: Path, *args: str, stream_json: bool = False, timeout: int = 240) -> Run:
    """run_pulumi.py on the `local` stack of `program`; HOME and PULUMI_HOME stay under `work`."""
    env = {**os.environ, "HOME": str(work / "home"), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    if stream_json:
        # Plain `preview --json` (v3.274.1) prints steps and diagnostics but no policy violations;
        # with this set, --json streams the engine events, policy events included.
        env["PULUMI_ENABLE_STREAMING_JSON_PREVIEW"] = "true"
    done = subprocess.run(
        [sys.executable, str(RUNNER), "--program", str(program), "--work", str(work), "--stack", "local", *args],
        capture_output=True, text=True, timeout=timeout, check=False, env=env,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def _urn_parts(urn: str) -> tuple[str, tuple[str, ...], str]:
    """(type, parent types, name) of urn:pulumi:STACK::PROJECT::PARENT$...$TYPE::NAME."""
    if not urn:
        return "", (), ""
    _, _, qualified, name = urn.split("::", 3)
    types = tuple(qualified.split("$"))
    return types[-1], types[:-1], name


def engine_events(stdout: str) -> list[dict[str, Any]]:
    """The JSON events streamed by `preview --json` (one object per line)."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def policy_events(stdout: str) -> list[Finding]:
    """Every policy violation of a streamed preview."""
    found = []
    for event in engine_events(stdout):
        policy = event.get("policyEvent")
        if policy is None:
            continue
        rtype, parents, name = _urn_parts(policy.get("resourceUrn", ""))
        found.append(Finding(policy["policyPackName"], policy["policyName"], name, policy["enforcementLevel"],
                             rtype, parents, policy.get("message", "")))
    return found


def preflight(out: Path, *args: str) -> Run:
    """`python -m preflight -s local ...` from the repository root, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "preflight", "-s", "local", "--out", str(out), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def preflight_findings(out: Path) -> list[Finding]:
    report = json.loads((out / "report.json").read_text())
    return [
        Finding(f["pack"], f["policy"], f["resource_name"] or "", f["level"], f.get("resource_type") or "",
                message=f.get("message", ""))
        for f in report["findings"]
        if f["kind"] == "violation"
    ]


@dataclass
class Validation:
    """What validate_manifests found."""

    builtin: dict[str, int] = field(default_factory=dict)  # kind -> documents valid against the schemas
    custom: dict[str, int] = field(default_factory=dict)  # kind -> custom resources matching a rendered CRD
    errors: list[str] = field(default_factory=list)


def manifest_documents(render_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(render_dir.rglob("*.yaml")):
        docs += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def validate_manifests(render_dir: Path, kubernetes_versions: Iterable[str]) -> Validation:
    """Built-in kinds: kubernetes-validate in strict mode (unknown fields are errors) for each version.
    Custom resources have no schema there: each must match a served version of a CRD rendered in the
    same directory, with metadata.namespace set exactly when that CRD is Namespaced."""
    result = Validation()
    docs = manifest_documents(render_dir)
    crds = {
        (crd["spec"]["group"], version["name"], crd["spec"]["names"]["kind"]): crd["spec"]["scope"]
        for _, crd in docs if crd.get("kind") == "CustomResourceDefinition"
        for version in crd["spec"]["versions"] if version.get("served")
    }
    for path, doc in docs:
        kind = doc.get("kind", "?")
        name = (doc.get("metadata") or {}).get("name", "")
        where = f"{path.relative_to(render_dir)} ({kind} {name})"
        if not _DNS_SUBDOMAIN.fullmatch(str(name)):
            result.errors.append(f"{where}: metadata.name {name!r} is not a DNS-1123 subdomain")
        group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
        scope = crds.get((group, version, kind))
        if scope is not None:
            namespaced = bool((doc.get("metadata") or {}).get("namespace"))
            if namespaced != (scope == "Namespaced"):
                result.errors.append(f"{where}: metadata.namespace {'set' if namespaced else 'missing'} "
                                     f"for a {scope} CRD")
            result.custom[kind] = result.custom.get(kind, 0) + 1
            continue
        try:
            for k8s_version in kubernetes_versions:
                kubernetes_validate.validate(doc, k8s_version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            result.errors.append(f"{where}: no Kubernetes schema and no rendered CRD for {doc.get('apiVersion')}")
        except kubernetes_validate.ValidationError as err:
            result.errors.append(f"{where}: {err.message}")
        else:
            result.builtin[kind] = result.builtin.get(kind, 0) + 1
    return result
