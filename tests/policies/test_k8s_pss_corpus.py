"""The Pod Security Standards policies against the official PSA fixtures (v1.37).

Every fixture is judged as a Pod, as a Deployment and as a CronJob, at the level of its folder:
fail -> at least one mandatory pss-* violation, pass -> none. The failing policies are also
compared with the fixture's file-name prefix (the upstream check ID).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime import proto

from tests import packharness
from tests.policies.test_k8s_support import CRONJOB, DEPLOYMENT, POD, as_cli_config, pod_as

packharness.add_pack_to_path("kubernetes-baseline")

from k8s_baseline import EXEMPTION_POLICY, PSS_POLICIES  # noqa: E402
from k8s_baseline import settings as pack_settings  # noqa: E402
from k8s_baseline.pss_checks import OVERRIDDEN_AT_RESTRICTED  # noqa: E402

CORPUS = packharness.ROOT.parent / "shared" / "corpora" / "pod-security-admission"
LEVELS = ("baseline", "restricted")
SHAPES = (POD, DEPLOYMENT, CRONJOB)

# Fixtures where this pack knowingly disagrees with upstream, with the reason. Empty: none.
EXCEPTIONS: dict[str, str] = {}

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"PSA fixture corpus not found at {CORPUS} (../shared/corpora is not checked out)",
)

CHECK_ID_OF = {p.name: p.pss_check.check_id for p in PSS_POLICIES}


def fixtures(level: str) -> list[tuple[str, Path]]:
    return [
        (outcome, path)
        for outcome in ("fail", "pass")
        for path in sorted((CORPUS / level / outcome).glob("*.yaml"))
    ]


@cache
def _servicer(level: str) -> Any:
    # One servicer per level, reused for every fixture (the harness would build one per call).
    config = as_cli_config({"pod-security-exemption": {"level": level}})
    return packharness._servicer([EXEMPTION_POLICY, *PSS_POLICIES], config)


def failing_checks(level: str, resource: packharness.Res) -> set[str]:
    """Upstream check IDs of the pss-* policies with a mandatory violation on the resource."""
    pack_settings.reset()
    request = proto.AnalyzeRequest(
        type=resource.type,
        properties=packharness._struct(resource.props),
        urn=resource.urn,
        name=resource.name,
    )
    findings = packharness._findings(_servicer(level).Analyze(request, None))
    unexpected = [f for f in findings if f.level != "mandatory" or f.policy not in CHECK_ID_OF]
    assert not unexpected, f"unexpected diagnostics on a corpus pod: {unexpected}"
    return {CHECK_ID_OF[f.policy] for f in findings}


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert data["kind"] == "Pod", path
    return data


def _prefix(path: Path) -> str:
    return re.sub(r"\d+$", "", path.stem)


@pytest.mark.parametrize("level", LEVELS)
def test_corpus_agreement(level: str, capsys: pytest.CaptureFixture[str]) -> None:
    cases = fixtures(level)
    assert len(cases) > 10, f"too few fixtures under {CORPUS / level}"
    agree: Counter[str] = Counter()
    disagreements = []
    for outcome, path in cases:
        pod = _load(path)
        for shape in SHAPES:
            rejected = bool(failing_checks(level, pod_as(shape, pod)))
            key = f"{level}/{outcome}/{path.name} as {shape.rsplit(':', 1)[1]}"
            if rejected == (outcome == "fail") or key in EXCEPTIONS:
                agree[shape] += 1
            else:
                disagreements.append(key)
    total = len(cases) * len(SHAPES)
    with capsys.disabled():
        print(
            f"\n{level}: {sum(agree.values())}/{total} agree "
            f"({len(cases)} fixtures x Pod, Deployment, CronJob; "
            + ", ".join(f"{s.rsplit(':', 1)[1]} {agree[s]}/{len(cases)}" for s in SHAPES)
            + f"; listed exceptions: {len(EXCEPTIONS)})"
        )
    assert not disagreements, f"{len(disagreements)} disagreements with upstream: {disagreements}"


@pytest.mark.parametrize("level", LEVELS)
def test_failing_checks_match_fixture_prefix(level: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A fail fixture breaks the check its name carries; any other outcome is counted and explained."""
    exact, via_override, extra, unexplained = 0, [], [], []
    for outcome, path in fixtures(level):
        if outcome != "fail":
            continue
        prefix = _prefix(path)
        checks = failing_checks(level, pod_as(POD, _load(path)))
        lowered = {c.lower() for c in checks}
        if prefix in lowered:
            exact += 1
            if len(checks) > 1:
                extra.append(f"{path.name}: {sorted(checks)}")
            continue
        # At restricted, PSA replaces some baseline checks by their restricted form.
        replacement = next((r for b, r in OVERRIDDEN_AT_RESTRICTED.items() if b.lower() == prefix), None)
        if level == "restricted" and replacement in checks:
            via_override.append(f"{path.name}: {replacement}")
        else:
            unexplained.append(f"{path.name}: {sorted(checks)}")
    with capsys.disabled():
        print(
            f"\n{level} check IDs: {exact} match the file-name prefix, {len(via_override)} differ as the "
            f"restricted form replaces the baseline check ({'; '.join(via_override) or 'none'}), "
            f"{len(extra)} also break another check ({'; '.join(extra) or 'none'}), "
            f"{len(unexplained)} unexplained"
        )
    assert not unexplained, unexplained


def test_check_ids_cover_every_fixture_prefix() -> None:
    """Every upstream check named by a fixture has a policy of the pack (and the level agrees)."""
    level_of = {p.pss_check.check_id.lower(): p.pss_check.level for p in PSS_POLICIES}
    for level in LEVELS:
        for outcome, path in fixtures(level):
            prefix = _prefix(path)
            if prefix.startswith("base"):
                continue
            assert prefix in level_of, f"{level}/{outcome}/{path.name}: no policy for check {prefix!r}"
            if level == "baseline":
                assert level_of[prefix] == "baseline", f"{path.name}: {prefix} is not a baseline check"
