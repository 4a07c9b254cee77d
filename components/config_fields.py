"""Typed reads from one decoded stack-config object, each failure a `ConfigError` naming the key.

The section parsers in `components.config` and `components.observability_config` describe their
keys with an `ObjectReader`: it refuses unknown keys as soon as it is built (a misspelt key is
the usual reason a value seems ignored), then hands out typed values. Key paths are written the
way `pulumi config set --path` takes them, e.g. `cluster.nodeGroups[0].minSize`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from components.errors import ConfigError


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final = _Required()
"""Marks a key that has no default."""

SECRET_SHOWN: Final = "<secret>"  # noqa: S105 - what an error shows in place of a secret value
"""Stands in for a secret's value in error messages."""

_TAG_TEXT = re.compile(r"^[\w\s+=.:/@-]*\Z")


def type_name(value: object) -> str:
    """The YAML/JSON name of a decoded value's type, with its article, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


class ObjectReader:
    """One config object: its path, its raw mapping and the keys it may hold."""

    def __init__(self, key: str, raw: object, fields: Iterable[str]) -> None:
        self.key = key
        self.fields = frozenset(fields)
        allowed = ", ".join(sorted(self.fields))
        if not isinstance(raw, dict):
            raise ConfigError(key, raw, f"an object with the keys {allowed}",
                              f"expected an object, got {type_name(raw)}")
        for name in sorted(raw):
            if name not in self.fields:
                close = difflib.get_close_matches(str(name), self.fields, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ConfigError(self.path(str(name)), raw[name], f"the keys {allowed}",
                                  f"unknown key{hint}")
        self.raw: Mapping[str, Any] = raw

    @classmethod
    def nullable(cls, key: str, raw: object, fields: Iterable[str]) -> ObjectReader:
        """Like the constructor, but a null object (an absent section) reads as empty."""
        return cls(key, raw if raw is not None else {}, fields)

    def path(self, name: str) -> str:
        """The full key path of a field, for messages."""
        return f"{self.key}.{name}"

    def has(self, name: str) -> bool:
        """Whether the field is set (to anything other than null)."""
        self._known(name)
        return self.raw.get(name) is not None

    def value(self, name: str, default: object = REQUIRED, *, allowed: str = "a value") -> Any:
        """The raw value of a field, or the default; a missing required field is an error."""
        self._known(name)
        value = self.raw.get(name)
        if value is None:
            if default is REQUIRED:
                raise ConfigError(self.path(name), None, allowed, "missing required key")
            return default
        return value

    def string(self, name: str, default: str | _Required = REQUIRED, *,
               choices: Iterable[str] | None = None, pattern: str | None = None,
               allowed: str = "a string") -> str:
        """A string field, optionally one of `choices` or matching the regex `pattern`."""
        options = tuple(choices) if choices is not None else None
        if options is not None:
            allowed = "one of " + ", ".join(options)
        value = self.value(name, default, allowed=allowed)
        if not isinstance(value, str):
            hint = " (quote it in YAML)" if isinstance(value, int | float) else ""
            raise ConfigError(self.path(name), value, allowed,
                              f"expected a string, got {type_name(value)}{hint}")
        if options is not None and value not in options:
            raise ConfigError(self.path(name), value, allowed, "not one of the allowed values")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise ConfigError(self.path(name), value, allowed, "not in the expected form")
        return value

    def string_or(self, name: str, default: str, *, choices: Iterable[str] | None = None,
                  pattern: str | None = None, allowed: str = "a string") -> str:
        """A string field, or `default` as it is when absent: a default such as "" (not set) is not checked."""
        if not self.has(name):
            return default
        return self.string(name, choices=choices, pattern=pattern, allowed=allowed)

    def integer(self, name: str, default: int | _Required = REQUIRED, *,
                minimum: int | None = None, maximum: int | None = None,
                choices: Iterable[int] | None = None) -> int:
        """An integer field (booleans refused), within bounds or one of `choices`."""
        options = tuple(choices) if choices is not None else None
        if options is not None:
            allowed = "one of " + ", ".join(str(o) for o in options)
        else:
            low = "" if minimum is None else f" >= {minimum}"
            high = "" if maximum is None else f" <= {maximum}"
            allowed = f"an integer{low}{' and' if low and high else ''}{high}"
        value = self.value(name, default, allowed=allowed)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(self.path(name), value, allowed,
                              f"expected an integer, got {type_name(value)}")
        if options is not None and value not in options:
            raise ConfigError(self.path(name), value, allowed, "not one of the allowed values")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ConfigError(self.path(name), value, allowed, "out of range")
        return value

    def number(self, name: str, default: float | _Required = REQUIRED, *,
               minimum: float, maximum: float) -> float:
        """A number field (integer or decimal; booleans refused) from `minimum` to `maximum`."""
        allowed = f"a number from {minimum:g} to {maximum:g}"
        value = self.value(name, default, allowed=allowed)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(self.path(name), value, allowed,
                              f"expected a number, got {type_name(value)}")
        if not minimum <= value <= maximum:  # also refuses NaN
            raise ConfigError(self.path(name), value, allowed, "out of range")
        return float(value)

    def secret(self, name: str) -> str | None:
        """An optional non-empty secret string (None when absent); a string value never appears in errors."""
        allowed = "a non-empty string set with `pulumi config set --secret`"
        value = self.value(name, None)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConfigError(self.path(name), value, allowed, f"expected a string, got {type_name(value)}")
        if not value:
            raise ConfigError(self.path(name), SECRET_SHOWN, allowed, "empty string")
        return value

    def boolean(self, name: str, default: bool | _Required = REQUIRED) -> bool:
        """A boolean field (the strings "true"/"false" are refused: YAML booleans only)."""
        value = self.value(name, default, allowed="true or false")
        if not isinstance(value, bool):
            raise ConfigError(self.path(name), value, "true or false",
                              f"expected a boolean, got {type_name(value)}")
        return value

    def items(self, name: str, default: list[Any] | _Required = REQUIRED, *,
              allowed: str = "a list", min_items: int = 0) -> list[tuple[str, Any]]:
        """A list field as (item path, item value) pairs."""
        value = self.value(name, default, allowed=allowed)
        if not isinstance(value, list):
            raise ConfigError(self.path(name), value, allowed,
                              f"expected a list, got {type_name(value)}")
        if len(value) < min_items:
            raise ConfigError(self.path(name), value, allowed,
                              f"needs at least {min_items} item{'s' if min_items > 1 else ''}")
        return [(f"{self.path(name)}[{i}]", item) for i, item in enumerate(value)]

    def strings(self, name: str, default: tuple[str, ...] | _Required = REQUIRED, *,
                min_items: int = 0, pattern: str | None = None,
                allowed: str = "a list of strings") -> tuple[str, ...]:
        """A list of strings, each optionally matching `pattern`; duplicates refused."""
        items = self.items(name, list(default) if isinstance(default, tuple) else default,
                           allowed=allowed, min_items=min_items)
        seen: set[str] = set()
        for path, item in items:
            if not isinstance(item, str):
                raise ConfigError(path, item, allowed, f"expected a string, got {type_name(item)}")
            if pattern is not None and not re.fullmatch(pattern, item):
                raise ConfigError(path, item, allowed, "not in the expected form")
            if item in seen:
                raise ConfigError(path, item, allowed, "duplicate entry")
            seen.add(item)
        return tuple(item for _, item in items)

    def objects(self, name: str, fields: Iterable[str], *, min_items: int = 0,
                allowed: str = "a list of objects") -> list[ObjectReader]:
        """A list of objects, each read with the given keys."""
        names = tuple(fields)
        return [ObjectReader(path, item, names)
                for path, item in self.items(name, allowed=allowed, min_items=min_items)]

    def object(self, name: str, fields: Iterable[str]) -> ObjectReader:
        """A nested object (an absent one reads as empty, so its own defaults apply)."""
        return ObjectReader(self.path(name), self.value(name, {}), fields)

    def labels(self, name: str, *, allowed: str, key_pattern: str, value_pattern: str,
               max_items: int | None = None) -> dict[str, str]:
        """A string-to-string map whose keys and values must match the given regexes."""
        value = self.value(name, {}, allowed=allowed)
        if not isinstance(value, dict):
            raise ConfigError(self.path(name), value, allowed,
                              f"expected an object, got {type_name(value)}")
        if max_items is not None and len(value) > max_items:
            raise ConfigError(self.path(name), value, allowed, f"more than {max_items} entries")
        out: dict[str, str] = {}
        for key, item in value.items():
            path = f"{self.path(name)}.{key}"
            if not re.fullmatch(key_pattern, str(key)):
                raise ConfigError(path, key, allowed, "invalid key")
            if not isinstance(item, str):
                hint = " (quote it in YAML)" if isinstance(item, int | float) else ""
                raise ConfigError(path, item, allowed,
                                  f"expected a string, got {type_name(item)}{hint}")
            if not re.fullmatch(value_pattern, item):
                raise ConfigError(path, item, allowed, "invalid value")
            out[str(key)] = item
        return out

    def _known(self, name: str) -> None:
        # A parser asking for a key it did not declare is a bug in the parser, not in the stack.
        if name not in self.fields:
            raise KeyError(f"{self.key}: parser reads undeclared key {name!r}")


def aws_tags(key: str, raw: object, max_items: int) -> dict[str, str]:
    """An AWS tag map: keys 1-128 and values 0-256 of AWS's tag characters, no `aws:` prefix."""
    allowed = (f"an object of at most {max_items} string tags (keys 1-128 characters, values up to "
               "256, letters, digits, spaces and _ . : / = + - @; keys may not start with 'aws:')")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(key, raw, allowed, f"expected an object, got {type_name(raw)}")
    if len(raw) > max_items:
        raise ConfigError(key, raw, allowed, f"more than {max_items} tags")
    tags: dict[str, str] = {}
    for name, value in raw.items():
        path = f"{key}.{name}"
        if not (1 <= len(name) <= 128 and _TAG_TEXT.match(name)) or name.lower().startswith("aws:"):
            raise ConfigError(path, name, allowed, "invalid tag key")
        if not isinstance(value, str):
            hint = " (quote it in YAML)" if isinstance(value, int | float) else ""
            raise ConfigError(path, value, allowed, f"expected a string, got {type_name(value)}{hint}")
        if len(value) > 256 or not _TAG_TEXT.match(value):
            raise ConfigError(path, value, allowed, "invalid tag value")
        tags[name] = value
    return tags


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# Where the instance metadata service answers: link-local, and AWS's IPv6 metadata address.
LINK_LOCAL = tuple(ipaddress.ip_network(c) for c in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"))


def cidr(key: str, value: object, *, ipv4_only: bool = False, allow_world: bool = True,
         allow_link_local: bool = True) -> Network:
    """Parse a CIDR block strictly (no host bits); optionally refuse IPv6, a /0 range, or a block
    overlapping link-local addresses (the instance metadata service)."""
    family = "an IPv4" if ipv4_only else "an IPv4 or IPv6"
    allowed = (f"{family} CIDR block such as 10.0.0.0/16" + ("" if allow_world else ", not /0")
               + ("" if allow_link_local else ", never link-local or the metadata service"))
    if not isinstance(value, str):
        raise ConfigError(key, value, allowed, f"expected a string, got {type_name(value)}")
    if "/" not in value:
        raise ConfigError(key, value, allowed, "not a CIDR block (no /prefix length)")
    try:
        network: Network = ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        try:
            fixed = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ConfigError(key, value, allowed, f"not a valid CIDR block ({err})") from None
        raise ConfigError(key, value, allowed, f"host bits are set; the network is {fixed}") from None
    if ipv4_only and network.version != 4:
        raise ConfigError(key, value, allowed, "not an IPv4 CIDR block")
    if not allow_world and network.prefixlen == 0:
        raise ConfigError(key, value, allowed, "opens access to every address on the internet")
    if not allow_link_local and any(network.overlaps(n) for n in LINK_LOCAL if n.version == network.version):
        raise ConfigError(key, value, allowed,
                          "overlaps link-local or the metadata service address, where the instance metadata "
                          "service answers")
    return network


def cidrs(reader: ObjectReader, name: str, *, allow_world: bool = True) -> tuple[str, ...]:
    """A list of CIDR blocks (normalised), duplicates refused."""
    allowed = "a list of CIDR blocks" + ("" if allow_world else " (no 0.0.0.0/0 or ::/0)")
    out: list[str] = []
    for path, item in reader.items(name, [], allowed=allowed):
        text = str(cidr(path, item, allow_world=allow_world))
        if text in out:
            raise ConfigError(path, item, allowed, "duplicate entry")
        out.append(text)
    return tuple(out)
