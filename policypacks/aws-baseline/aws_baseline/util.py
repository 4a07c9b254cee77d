"""Readers for engine-form resource inputs, written once for every policy of the pack.

Inputs arrive as the engine sends them: camelCase keys, numbers as floats, lists and maps wrapped
in the SDK's unknown-checking proxies (so `Mapping`/`Sequence`, never `dict`/`list`). These helpers
only touch the fields a policy asks for, so an unknown value elsewhere in a resource (an ARN that
is computed at apply time, say) never stops a check that does not need it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

# Ranges at least this broad are "the internet" in all but name: 0.0.0.0/0 split into halves or
# quarters is the same exposure, and no real allow-list is wider than a /8 (IPv4) or /16 (IPv6).
_NARROWEST_WORLD_PREFIX = {4: 7, 6: 15}


class PolicyConfigError(ValueError):
    """A policy config value (from `--policy-pack-config`) that the policy cannot use."""


def get(obj: Any, path: str) -> Any:
    """The value at a dotted path of nested maps, or None where a step is missing or not a map."""
    current = obj
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def is_set(obj: Any, path: str) -> bool:
    """Whether the field at a dotted path has a non-empty value.

    For presence checks ("is a KMS key given?") a value that is unknown during preview counts as
    set: the engine knows the input is there, only not its value yet (a key ARN created in the
    same stack, say). Checks that judge the value itself read it through `get` instead.
    """
    parent, _, key = path.rpartition(".")
    container = get(obj, parent) if parent else obj
    if not isinstance(container, Mapping):
        return False
    try:
        return bool(container.get(key))
    except UnknownValueError:
        return True


def as_list(value: Any) -> list[Any]:
    """A value that may be absent, one item or a list (IAM `Action`, `Statement`...) as a list."""
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def is_true(value: Any) -> bool:
    """True for a boolean true and for the string "true" (some provider fields are strings)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    """True for a boolean false and for the string "false"; None (unset) is neither."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def as_number(value: Any) -> float | None:
    """A numeric input (the engine sends floats) or numeric string as a float, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def is_world_open(cidr: Any) -> bool:
    """True for 0.0.0.0/0, ::/0 and ranges almost as broad (see _NARROWEST_WORLD_PREFIX)."""
    if not isinstance(cidr, str):
        return False
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    return network.prefixlen <= _NARROWEST_WORLD_PREFIX[network.version]


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM policy given as a JSON string or as an object; None when it is neither."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None  # AWS rejects malformed JSON at apply time; nothing to judge here
        return parsed if isinstance(parsed, dict) else None
    return None


_VERSION = re.compile(r"\s*v?(\d+)\.(\d+)(?:\.\d+)?\s*")


def kubernetes_minor(value: Any) -> tuple[int, int] | None:
    """A version such as 1.32 or 1.32.1 as (1, 32), compared as numbers (1.9 < 1.32); else None."""
    if not isinstance(value, str):
        return None
    match = _VERSION.fullmatch(value)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def config_int(cfg: Mapping[str, Any], key: str, minimum: int) -> int:
    """An integer policy config value of at least `minimum` (JSON numbers arrive as floats)."""
    value = cfg.get(key)
    number = as_number(value) if not isinstance(value, str) else None
    if number is None or number != int(number) or number < minimum:
        raise PolicyConfigError(f"'{key}' has value {value!r}; allowed: an integer >= {minimum}")
    return int(number)


def config_bool(cfg: Mapping[str, Any], key: str) -> bool:
    value = cfg.get(key)
    if not isinstance(value, bool):
        raise PolicyConfigError(f"'{key}' has value {value!r}; allowed: true or false")
    return value


def config_ports(cfg: Mapping[str, Any], key: str) -> frozenset[int]:
    """A list of TCP/UDP port numbers (0-65535)."""
    value = cfg.get(key)
    allowed = "a list of port numbers 0-65535"
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise PolicyConfigError(f"'{key}' has value {value!r}; allowed: {allowed}")
    ports: set[int] = set()
    for item in value:
        number = as_number(item) if not isinstance(item, str) else None
        if number is None or number != int(number) or not 0 <= number <= 65535:
            raise PolicyConfigError(f"'{key}' has value {value!r}; allowed: {allowed}")
        ports.add(int(number))
    return frozenset(ports)


def config_strings(cfg: Mapping[str, Any], key: str, choices: Sequence[str]) -> frozenset[str]:
    """A non-empty list of strings, each one of `choices`."""
    value = cfg.get(key)
    allowed = f"a non-empty list of {', '.join(choices)}"
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence) or not value:
        raise PolicyConfigError(f"'{key}' has value {value!r}; allowed: {allowed}")
    if any(item not in choices for item in value):
        raise PolicyConfigError(f"'{key}' has value {value!r}; allowed: {allowed}")
    return frozenset(value)
