"""The Pulumi project and stack preflight runs: Pulumi.yaml, Pulumi.<stack>.yaml and their config.

Config is turned into the environment the Python language host gives a program
(PULUMI_CONFIG as a JSON object of "namespace:key" -> string, structured values JSON-encoded).
Secure values are decrypted when the stack uses the passphrase secrets provider and
PULUMI_CONFIG_PASSPHRASE(_FILE) is set, as the CLI does; otherwise each becomes a placeholder string.
Either way its key is listed in PULUMI_CONFIG_SECRET_KEYS, so the program sees a secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from preflight import secrets
from preflight.errors import PreflightError

SECRET_PLACEHOLDER = "preflight-secret-placeholder"  # noqa: S105 - a stand-in, not a password
_SCHEMA_KEYS = {"type", "default", "description", "secret", "items", "value"}


@dataclass
class Project:
    directory: Path
    name: str
    program: Path
    python: str | None  # the project's own virtualenv python, when it has one
    stack: str
    stack_file: Path
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things the user should know about the run
    undecrypted: list[str] = field(default_factory=list)  # secret keys the program sees as a placeholder

    def env(self) -> dict[str, str]:
        return {
            "PULUMI_PROJECT": self.name,
            "PULUMI_STACK": self.stack,
            "PULUMI_DRY_RUN": "true",
            "PULUMI_CONFIG": json.dumps(self.config),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(self.secret_keys),
        }


class _StrictLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads it (gopkg.in/yaml.v3 into untyped values): a key given twice is
    an error, not 'last one wins'; only true/false are booleans (`yes`, `no`, `on` and `off` are
    strings, so `country: NO` stays "NO"); there are no base-60 numbers (`47:11` is a string); and
    a date stays a string (`2024-01-01`), as yaml.v3 keeps timestamps for untyped targets."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


_BOOL, _INT, _FLOAT, _TIMESTAMP = (f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "timestamp"))
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT, _FLOAT, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    # PyYAML's YAML 1.1 patterns without the base-60 forms.
    (_INT, r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$", "-+0123456789"),
    (_FLOAT, r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
             r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
):
    _StrictLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))  # type: ignore[no-untyped-call]


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise PreflightError("the file is not valid YAML", str(path), str(exc).replace("\n", " ")) from exc
    except UnicodeDecodeError as exc:
        raise PreflightError("the file is not UTF-8 text", str(path), "Pulumi files are UTF-8 YAML.") from exc
    except OSError as exc:
        raise PreflightError(f"the file cannot be read: {exc.strerror}", str(path)) from exc


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _encode(value: Any, key: str = "", where: str = "") -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise PreflightError(
            f"config key '{key}' holds a value Pulumi config cannot carry ({exc})", where,
            "Config values are strings, numbers, booleans, lists and mappings (quote dates and timestamps).",
        ) from exc


def _strip_secure(value: Any, open_: Callable[[str], str] | None = None) -> tuple[Any, bool]:
    """Replace every {secure: ...} inside a value by its plaintext (with a decrypter) or the placeholder;
    report whether any was found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return (open_(str(value["secure"])) if open_ else SECRET_PLACEHOLDER), True
        found = False
        out = {}
        for k, v in value.items():
            out[k], inner = _strip_secure(v, open_)
            found = found or inner
        return out, found
    if isinstance(value, list):
        items = [_strip_secure(v, open_) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _virtualenv(runtime: Any) -> str | None:
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    return str(venv) if venv else None


def _python_of(directory: Path, runtime: Any) -> str | None:
    venv = _virtualenv(runtime)
    if not venv:
        return None
    python = (directory / venv / "bin" / "python").absolute()
    return str(python) if python.exists() else None


def load(directory: Path, stack: str | None, config_file: Path | None = None) -> Project:
    directory = directory.resolve()
    if not directory.is_dir():
        raise PreflightError("the project directory does not exist", str(directory), "Pass -C DIR.")
    project_file = directory / "Pulumi.yaml"
    if not project_file.exists():
        raise PreflightError(
            "no Pulumi.yaml found",
            str(directory),
            "Run preflight in a Pulumi project directory or pass -C/--cwd DIR pointing at one.",
        )
    meta = _read_yaml(project_file)
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        raise PreflightError(
            "Pulumi.yaml has no project name", str(project_file), "It needs at least `name:` and `runtime:`."
        )
    runtime = meta.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise PreflightError(
            f"the project's runtime is {runtime_name!r}",
            str(project_file),
            "preflight runs Pulumi programs written in Python (runtime: python).",
        )
    name: str = meta["name"]
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", name):
        raise PreflightError(f"the project name {name!r} is not valid", str(project_file),
                             "A project name has 1-100 letters, digits, '-', '_' or '.'.")
    program = directory / str(meta.get("main", "."))
    if not (program / "__main__.py" if program.is_dir() else program).exists():
        raise PreflightError(
            "the project has no program", str(program), "Add __main__.py or set `main:` in Pulumi.yaml."
        )

    stack = stack or "dev"
    stack_file = config_file or directory / f"Pulumi.{stack}.yaml"
    project = Project(
        directory=directory,
        name=name,
        program=program,
        python=_python_of(directory, runtime),
        stack=stack,
        stack_file=stack_file,
    )
    venv = _virtualenv(runtime)
    if venv and project.python is None:
        project.notes.append(f"Pulumi.yaml names the virtualenv {venv!r}, which does not exist; the program ran "
                             "with preflight's own Python")
    _apply_project_defaults(project, meta.get("config"), project_file)
    if stack_file.exists():
        _apply_stack_config(project, _read_yaml(stack_file), stack_file)
    else:
        project.notes.append(f"no {stack_file.name}: the stack runs with the project's default config only")
    check_declared_types(project, meta.get("config"), project_file)
    return project


_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "boolean": (bool,), "array": (list,)}


def check_declared_types(project: Project, schema: Any, path: Path) -> None:
    """As the CLI does: declared keys have their declared type, and a key without a default is required."""
    if not isinstance(schema, dict):
        return
    for key, spec in schema.items():
        if not (isinstance(spec, dict) and set(spec) <= _SCHEMA_KEYS):
            continue
        full = _full_key(project.name, str(key))
        declared = spec.get("type")
        if full not in project.config:
            if "default" not in spec and "value" not in spec:
                raise PreflightError(f"the stack config has no value for the required key '{full}'",
                                     str(project.stack_file),
                                     f"Pulumi.yaml ({path.name}) declares it without a default; set it.")
            continue
        if declared not in _TYPES:
            continue
        text = project.config[full]
        try:
            value = text if declared == "string" else json.loads(text)
        except ValueError:
            value = text
        ok = isinstance(value, _TYPES[declared]) and not (declared == "integer" and isinstance(value, bool))
        if not ok:
            raise PreflightError(f"config key '{full}' has value {text!r}, not of the declared type {declared}",
                                 str(project.stack_file), f"Pulumi.yaml declares `type: {declared}` for it.")


def _apply_project_defaults(project: Project, schema: Any, path: Path) -> None:
    if schema is None:
        return
    if not isinstance(schema, dict):
        raise PreflightError("`config:` is not a mapping", str(path), "Declare config keys as a mapping.")
    for key, spec in schema.items():
        if isinstance(spec, dict) and set(spec) <= _SCHEMA_KEYS:
            value = spec.get("value", spec.get("default"))
        else:
            value = spec
        if value is not None:
            full = _full_key(project.name, str(key))
            project.config[full] = _encode(value, full, str(path))


def _apply_stack_config(project: Project, doc: Any, path: Path) -> None:
    if doc is None:
        return
    if not isinstance(doc, dict):
        raise PreflightError("the stack file is not a mapping", str(path), "Expected `config:` at the top level.")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise PreflightError("`config:` is not a mapping", str(path), "Use `namespace:key: value` entries.")
    environments = doc.get("environment")
    if environments:  # ESC environments live in Pulumi Cloud; offline there is nothing to open
        imports = environments.get("imports") if isinstance(environments, dict) else environments
        names = [str(n) for n in (imports if isinstance(imports, list) else [imports]) if isinstance(n, str)]
        project.notes.append(
            f"the stack imports ESC environment(s) {', '.join(names) or '(not named as a list of strings)'} "
            f"(`environment:` in {path.name}); "
            "preflight cannot open them offline, so config and environment variables they provide are missing "
            "(put the values the check needs in a --config-file copy of the stack file)")
    decrypter = None
    phrase = secrets.passphrase()
    if isinstance(doc.get("encryptionsalt"), str) and phrase is not None:
        decrypter = secrets.Decrypter(doc["encryptionsalt"], phrase, str(path))
    for key, raw in config.items():
        full = _full_key(project.name, str(key))
        opener = (lambda v, k=full: decrypter.decrypt(v, k)) if decrypter else None
        value, secret = _strip_secure(raw, opener)
        project.config[full] = _encode(value, full, str(path))
        if secret:
            project.secret_keys.append(full)
            if decrypter is None:
                project.undecrypted.append(full)
                project.notes.append(
                    f"secret config '{full}' is not decrypted (no passphrase in PULUMI_CONFIG_PASSPHRASE, or "
                    "a non-passphrase secrets provider); the program sees a placeholder")
