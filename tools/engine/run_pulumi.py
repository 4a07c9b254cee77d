"""Run the real Pulumi CLI on a Python program, offline, with everything kept under one work directory.

    python tools/engine/run_pulumi.py --program DIR --work DIR [--stack dev] [--config KEY=VALUE ...]
        [--policy-pack PACK_DIR ...] [--policy-pack-config FILE ...] COMMAND [pulumi flags ...]

e.g. `... --policy-pack policypacks/k8s preview` or `... up --yes`. Exits with the CLI's exit code.

What it sets up (nothing in the user's home; binaries from tools/build-engine.sh):
- PULUMI_HOME=<work>/home, state in PULUMI_BACKEND_URL=file://<work>/state, passphrase secrets
  (PULUMI_CONFIG_PASSPHRASE, default "engine-local" unless already set), no update check, no plugin downloads;
- PATH: .tools/bin first (CLI and Kubernetes provider), then this interpreter's bin dir (the project's .venv);
- the stack (created on first use) and any --config values, written to the program's Pulumi.<stack>.yaml;
- the program served by client_host.py over `--client` (no Go Python language host is available here);
- each pack started by policy_pack_launcher.py as a binary analyzer (one launcher dir per pack under <work>/packs).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent
ROOT = ENGINE.parent.parent
BIN = Path(os.environ.get("ENGINE_BIN", ROOT / ".tools" / "bin"))


def engine_env(work: Path) -> dict[str, str]:
    """The environment every CLI call (and the plugins it starts) runs with."""
    env = dict(os.environ)
    env.update(
        PATH=os.pathsep.join([str(BIN), str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")]),
        PULUMI_HOME=str(work / "home"),
        PULUMI_BACKEND_URL=(work / "state").as_uri(),
        PULUMI_CONFIG_PASSPHRASE=env.get("PULUMI_CONFIG_PASSPHRASE", "engine-local"),
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
    )
    env.pop("PULUMI_ACCESS_TOKEN", None)
    return env


def pulumi(args: list[str], program: Path, env: dict[str, str]) -> int:
    return subprocess.call([str(BIN / "pulumi"), *args, "--non-interactive"], cwd=program, env=env)


def pack_launcher(pack: Path, packs_dir: Path, index: int) -> Path:
    """A directory the CLI accepts as a binary analyzer: the launcher plus the pack's PulumiPolicy.yaml."""
    manifest = pack / "PulumiPolicy.yaml"
    if not manifest.is_file():
        raise SystemExit(f"run_pulumi: {manifest} not found")
    home = packs_dir / f"{index}-{pack.name}"
    home.mkdir(parents=True, exist_ok=True)
    for link, target in (("PulumiPolicy.yaml", manifest), ("policy-pack", ENGINE / "policy_pack_launcher.py")):
        path = home / link
        path.unlink(missing_ok=True)
        path.symlink_to(target)
    return home / "policy-pack"


def run(opts: argparse.Namespace, rest: list[str]) -> int:
    if not (BIN / "pulumi").exists():
        print(f"run_pulumi: {BIN / 'pulumi'} is not built; run tools/build-engine.sh", file=sys.stderr)
        return 2
    program: Path = opts.program.resolve()
    work: Path = opts.work.resolve()
    (work / "state").mkdir(parents=True, exist_ok=True)
    env = engine_env(work)

    code = pulumi(["stack", "select", "--create", opts.stack], program, env)
    for item in opts.config:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"run_pulumi: --config wants KEY=VALUE, got {item!r}")
        code = code or pulumi(["config", "set", "--stack", opts.stack, key, value], program, env)
    if code:
        return code

    flags = [f"--stack={opts.stack}"]
    for index, pack in enumerate(opts.policy_pack):
        flags.append(f"--policy-pack={pack_launcher(pack.resolve(), work / 'packs', index)}")
    flags += [f"--policy-pack-config={path.resolve()}" for path in opts.policy_pack_config]

    host = subprocess.Popen(
        [sys.executable, str(ENGINE / "client_host.py"), str(program)],
        cwd=program, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert host.stdin is not None and host.stdout is not None
    try:
        port = host.stdout.readline().strip()
        if not port.isdigit():
            print(f"run_pulumi: client_host did not start (printed {port!r})", file=sys.stderr)
            return 2
        command, *extra = rest
        return pulumi([command, f"--client=127.0.0.1:{port}", *flags, *extra], program, env)
    finally:
        host.stdin.close()  # client_host serves until its stdin closes
        try:
            host.wait(timeout=30)
        except subprocess.TimeoutExpired:
            host.kill()
            host.wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--program", type=Path, required=True, help="directory with Pulumi.yaml and __main__.py")
    parser.add_argument("--work", type=Path, required=True, help="PULUMI_HOME, state and pack launchers go here")
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--policy-pack", action="append", default=[], type=Path, metavar="PACK_DIR")
    parser.add_argument("--policy-pack-config", action="append", default=[], type=Path, metavar="FILE")
    parser.add_argument("command", help="preview, up, destroy, stack, ...")
    opts, rest = parser.parse_known_args(argv)
    return run(opts, [opts.command, *rest])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
