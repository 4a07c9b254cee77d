"""The one error type for invalid stack config or component declarations."""

from __future__ import annotations

from typing import Any

import pulumi


class ConfigError(pulumi.RunError):
    """Invalid configuration: names the key, the value, the file it came from and what is allowed.

    It subclasses `pulumi.RunError`, so under the real engine the run stops with this message and
    no Python traceback. preflight recognises it the same way and exits 2.
    """

    def __init__(self, key: str, value: Any, allowed: str, problem: str = "invalid value") -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        self.problem = problem
        super().__init__(
            f"invalid stack config in {config_source()}: key '{key}' has value {value!r}: {problem}. "
            f"Allowed: {allowed}."
        )


def config_source() -> str:
    """The file a stack's config comes from, for error messages."""
    try:
        return f"Pulumi.{pulumi.get_stack()}.yaml"
    except Exception:  # outside a Pulumi program there is no stack
        return "the stack config"
