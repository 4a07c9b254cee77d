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
        if policy.schema is not None:
            # Whatever the enforcement level, as the CLI does: pulumi/pulumi pkg/resource/analyzer/config.go,
            # ReconcilePolicyPackConfig -> validatePolicyPackConfig validates every policy that has a
            # ConfigSchema and never looks at its level (and GetAnalyzerInfo in
            # sdk/go/common/resource/plugin/analyzer_plugin.go gives every policy of a pack that supports
            # config a schema). A disabled policy's config is still read when it is enabled again.
            _validate(pack, policy, props, source)
        result[policy.name] = (level, props)
    return result


def _validate(pack: str, policy: PolicyDefaults, props: dict[str, Any], source: str) -> None:
    # Schema numbers travel as protobuf doubles: validate against 1, not 1.0, so messages read as written.
    schema = {"type": "object", **integral_numbers(policy.schema or {}), "additionalProperties": False}
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(props), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return
    first = errors[0]
    path = list(first.absolute_path)
    spec = first.schema if isinstance(first.schema, dict) else {}
    if first.validator == "additionalProperties" and isinstance(first.instance, dict):
        known = sorted(spec.get("properties", {}))
        key = sorted(set(first.instance) - set(known))[0]
        field = _key_path([*path, key])
        problem = f"unknown key (value {_short(first.instance[key])})"
        allowed = f"Allowed keys{' in ' + _key_path(path) if path else ''}: {', '.join(known) or 'none'}"
    else:
        field = _key_path(path) or "(the policy's config)"
        problem = first.message.replace(repr(first.instance), _short(first.instance))
        allowed = f"Allowed for {field}: {_describe(spec)}"
    more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
    raise PreflightError(
        f"invalid config for policy '{policy.name}' of pack '{pack}': {field}: {problem}{more}",
        source,
        allowed + ".",
    )


def _key_path(path: list[Any]) -> str:
    """`policyExemptions.pss-privileged[0]`, as the key is written in the config file."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_TYPES = {"string": ("a string", "strings"), "integer": ("an integer", "integers"),
          "number": ("a number", "numbers"), "boolean": ("true or false", "booleans"),
          "array": ("a list", "lists"), "object": ("an object", "objects"), "null": ("null", "nulls")}
_BOUNDS = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<",
           "minLength": "of length >=", "maxLength": "of length <=", "minItems": "of length >=",
           "maxItems": "of length <=", "minProperties": "with keys >=", "maxProperties": "with keys <="}


def _describe(spec: dict[str, Any]) -> str:
    """What a (sub)schema allows, in a few words: 'an integer >= 1 (default 90)', not the schema itself."""
    kinds = spec.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if "enum" in spec:
        words = "one of " + ", ".join(json.dumps(v) for v in spec["enum"])
    elif "const" in spec:
        words = f"exactly {json.dumps(spec['const'])}"
    else:
        words = " or ".join(_TYPES.get(k, (k, k))[0] for k in kinds) or "any value"
        items, values = spec.get("items"), spec.get("additionalProperties")
        if kinds == ["array"] and isinstance(items, dict):
            only_type = set(items) <= {"type", "description"} and isinstance(items.get("type"), str)
            words = (f"a list of {_TYPES.get(items['type'], (0, items['type']))[1]}" if only_type
                     else f"a list whose items are each {_describe(items)}")
        elif kinds == ["object"] and isinstance(values, dict):
            words = f"an object mapping names to {_describe(values)}"
    words += "".join(f" {op} {spec[key]}" for key, op in _BOUNDS.items() if key in spec)
    if "pattern" in spec:
        words += f" matching /{spec['pattern']}/"
    if "default" in spec:
        words += f" (default {json.dumps(spec['default'])})"
    return words


def integral_numbers(value: Any) -> Any:
    """Numbers that travel as protobuf doubles (Struct values), with 65535.0 back as 65535."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral_numbers(v) for v in value]
    return value
