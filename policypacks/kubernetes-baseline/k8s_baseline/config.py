"""Policy config: the JSON schema each policy declares, and a strict reader for it.

The Pulumi CLI checks policy config against `config_schema` only for the keys the schema names
(it adds no `additionalProperties: false`), and the analyzer protocol delivers whatever the
config file holds. So each policy reads its config through `read_config`, which rejects unknown
keys and wrong types with a message naming the policy, the key, the value and what is allowed:
a typo must stop the run, not silently fall back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyConfigSchema


class PolicyConfigError(ValueError):
    """Invalid policy config. Raised from a policy, it fails the analyzer call (never clean)."""

    def __init__(
        self, policy: str, key: str, value: Any, allowed: str, problem: str = "invalid value"
    ) -> None:
        self.policy = policy
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(
            f"invalid policy config for '{policy}': key '{key}' has value {value!r}: {problem}. "
            f"Allowed: {allowed}."
        )


def string_list(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "default": [], "description": description}


def enum(description: str, values: Sequence[str], default: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "default": default, "description": description}


def boolean(description: str, default: bool) -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}


def string_list_map(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "default": {},
        "description": description,
    }


def schema(**properties: dict[str, Any]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties=dict(properties))


def _check(policy: str, key: str, spec: Mapping[str, Any], value: Any) -> Any:
    kind = spec["type"]
    if kind == "string":
        if not isinstance(value, str) or ("enum" in spec and value not in spec["enum"]):
            raise PolicyConfigError(
                policy, key, value, " | ".join(repr(v) for v in spec.get("enum", ["a string"]))
            )
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise PolicyConfigError(policy, key, value, "true | false")
        return value
    if kind == "array":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise PolicyConfigError(policy, key, value, "a list of non-empty strings")
        return tuple(value)
    if kind == "object":
        if not isinstance(value, dict):
            raise PolicyConfigError(policy, key, value, "an object mapping names to lists of strings")
        return {k: _check(policy, f"{key}.{k}", spec["additionalProperties"], v) for k, v in value.items()}
    raise AssertionError(f"unsupported schema type {kind!r} for {policy}.{key}")


def read_config(
    policy: str, config_schema: PolicyConfigSchema | None, raw: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The policy's config with defaults filled in; raises PolicyConfigError on any bad key."""
    properties: dict[str, dict[str, Any]] = dict(config_schema.properties) if config_schema else {}
    given = dict(raw or {})
    unknown = sorted(set(given) - set(properties))
    if unknown:
        raise PolicyConfigError(
            policy, unknown[0], given[unknown[0]], ", ".join(sorted(properties)) or "no keys", "unknown key"
        )
    return {
        key: _check(policy, key, spec, given[key] if key in given else spec["default"])
        for key, spec in properties.items()
    }
