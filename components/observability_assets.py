"""The dashboards and alert rules kept as files in `observability/` (observability as code).

`observability/dashboards/*.json` are Grafana dashboards; `observability/rules/*.yaml` are
PrometheusRule specs (`groups:`, the Prometheus rule-file format, so `promtool check rules`
reads them too). Runbook links in the rules are repository paths (`docs/runbooks/<Alert>.md`);
with a base URL set they become absolute links.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ASSETS_DIR = Path(__file__).resolve().parent.parent / "observability"
REPO_ROOT = ASSETS_DIR.parent


@dataclass(frozen=True)
class Dashboard:
    name: str
    """Kubernetes-safe name derived from the file name."""
    filename: str
    """The ConfigMap key (Grafana's sidecar writes the file under this name)."""
    json_text: str


@dataclass(frozen=True)
class RuleFile:
    name: str
    spec: dict[str, Any]


def k8s_name(stem: str) -> str:
    """A DNS-1123 name from a file stem (`mesh_overview` -> `mesh-overview`)."""
    name = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")
    return name[:63].rstrip("-")


def dashboard_files(root: Path = ASSETS_DIR) -> list[Path]:
    return sorted((root / "dashboards").glob("*.json"))


def rule_files(root: Path = ASSETS_DIR) -> list[Path]:
    return sorted((root / "rules").glob("*.yaml"))


def load_dashboards(root: Path = ASSETS_DIR) -> list[Dashboard]:
    """Every dashboard, re-serialised compactly (a malformed file fails here, before deploy)."""
    dashboards = []
    for path in dashboard_files(root):
        data = json.loads(path.read_text(encoding="utf-8"))
        dashboards.append(Dashboard(k8s_name(path.stem), path.name, json.dumps(data, sort_keys=True)))
    return dashboards


def absolute_runbook(url: str, base_url: str) -> str:
    """A repository-relative runbook path joined to `base_url`; absolute URLs stay as they are."""
    if not base_url or "://" in url:
        return url
    return f"{base_url.rstrip('/')}/{url.lstrip('/')}"


def load_rules(root: Path = ASSETS_DIR, runbook_base_url: str = "") -> list[RuleFile]:
    """Every rule file as a PrometheusRule spec."""
    files = []
    for path in rule_files(root):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in spec.get("groups", []):
            for rule in group.get("rules", []):
                annotations = rule.get("annotations") or {}
                if "runbook_url" in annotations:
                    annotations["runbook_url"] = absolute_runbook(annotations["runbook_url"], runbook_base_url)
        files.append(RuleFile(k8s_name(path.stem), spec))
    return files
