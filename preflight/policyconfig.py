"""Policy pack config in the format of `pulumi preview --policy-pack-config FILE`.

The file is a JSON object keyed by policy name (or "all"); a value is an enforcement level string
or an object with an optional "enforcementLevel" and the policy's own properties. As the CLI does,
preflight merges the pack's defaults, the pack's initial config, "all" and the per-policy entries,
fills schema defaults, and validates every policy's properties against its config schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from preflight.errors import PreflightError

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


@dataclass
class PolicyDefaults:
    name: str
    level: str
    schema: dict[str, Any] | None  # {"properties": ..., "required": [...]} or None


def read_file(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PreflightError("the policy config file does not exist", str(path)) from exc
    except (UnicodeDecodeError, RecursionError) as exc:
        raise PreflightError(f"the policy config file is not readable JSON ({type(exc).__name__})", str(path),
                             "Expected a UTF-8 JSON object keyed by policy name.") from exc
    except OSError as exc:
        raise PreflightError(f"the policy config file cannot be read: {exc.strerror}", str(path)) from exc
    except json.JSONDecodeError as exc:
        raise PreflightError(
            f"the policy config file is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            str(path),
            'Expected a JSON object such as {"all": "mandatory", "policy-name": {"enforcementLevel": '
            '"advisory", "someProperty": 1}}.',
        ) from exc
    if not isinstance(raw, dict):
        raise PreflightError(
            "the policy config file is not a JSON object", str(path), "Expected an object keyed by policy name."
        )
    return raw


def _split(entry: Any, where: str) -> tuple[str | None, dict[str, Any]]:
    if isinstance(entry, str):
        if entry not in LEVELS:
            raise PreflightError(
                f"unknown enforcement level {entry!r}", where, f"Allowed levels: {', '.join(LEVELS)}."
            )
        return entry, {}
    if not isinstance(entry, dict):
        raise PreflightError(
            f"a policy's config must be a level or an object, not {type(entry).__name__}",
            where,
            f'Use "advisory" or {{"enforcementLevel": "mandatory", ...}}; levels: {", ".join(LEVELS)}.',
        )
    props = dict(entry)
    level = props.pop("enforcementLevel", None)
    if level is not None and level not in LEVELS:
        raise PreflightError(
            f"unknown enforcement level {level!r}", where, f"Allowed levels: {', '.join(LEVELS)}."
        )
    return level, props


def reconcile(
    pack: str,
    policies: list[PolicyDefaults],
    initial: dict[str, Any],
    user: dict[str, Any],
    source: str,
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Return {policy: (level, properties)} for every policy of the pack."""
    names = {p.name for p in policies}
    unknown = sorted(set(user) - names - {"all"})
    if unknown:
        raise PreflightError(
            f"the policy config names {', '.join(repr(u) for u in unknown)}, which pack '{pack}' does not have",
            source,
            f"Policies in '{pack}': {', '.join(sorted(names))} (or \"all\").",
        )
    all_level, all_props = _split(user["all"], f"{source}: all") if "all" in user else (None, {})
    if all_props:
        raise PreflightError(
            "\"all\" takes only an enforcement level", f"{source}: all", f"Allowed levels: {', '.join(LEVELS)}."
        )
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for policy in policies:
        level = policy.level
        props: dict[str, Any] = {}
        schema_props = (policy.schema or {}).get("properties", {})
        for key, spec in schema_props.items():
            if isinstance(spec, dict) and "default" in spec:
                props[key] = spec["default"]
        for layer_where, layer in (
            (f"pack '{pack}' initial config", initial.get(policy.name)),
            (None, None if all_level is None else all_level),
            (f"{source}: {policy.name}", user.get(policy.name)),
        ):
            if layer is None:
                continue
            layer_level, layer_props = _split(layer, layer_where or f"{source}: all")
            level = layer_level or level
            props.update(layer_props)
        if policy.schema is None and props:
            raise PreflightError(
                f"policy '{policy.name}' of pack '{pack}' takes no config, but got {sorted(props)}",
                f"{source}: {policy.name}",
                "Give it only an enforcement level.",
            )
        if policy.schema is not None and level != "disabled":
            _validate(pack, policy, props, source)
        result[policy.name] = (level, props)
    return result


def _validate(pack: str, policy: PolicyDefaults, props: dict[str, Any], source: str) -> None:
    schema = {"type": "object", **(policy.schema or {}), "additionalProperties": False}
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(props), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        field = ".".join(str(p) for p in first.absolute_path) or "(top level)"
        allowed = json.dumps(_ints(policy.schema))
        raise PreflightError(
            f"invalid config for policy '{policy.name}' of pack '{pack}': {field}: {first.message}",
            source,
            f"The policy's config schema is {allowed}.",
        )


def _ints(value: Any) -> Any:
    """Schema numbers travel as protobuf doubles; show 65535.0 as 65535."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value
