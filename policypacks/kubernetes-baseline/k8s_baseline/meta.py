"""Compliance metadata shared by every policy of the pack.

The NIST SP 800-53 controls are the suggestions of ../shared/reference/nist-800-204.md (NIST names
none for SP 800-204A/B/C); the SP 800-204 items are the IDs of those notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyComplianceFramework

PACK_NAME = "kubernetes-baseline"
FRAMEWORK_NAME = "NIST SP 800-53"
FRAMEWORK_VERSION = "Rev. 5"


@dataclass(frozen=True)
class ControlMap:
    """A policy's control mapping: the primary control and item, then any further ones."""

    control: str
    item: str
    more_controls: tuple[str, ...] = ()
    more_items: tuple[str, ...] = ()

    def framework(self) -> PolicyComplianceFramework:
        return PolicyComplianceFramework(
            name=FRAMEWORK_NAME,
            version=FRAMEWORK_VERSION,
            reference=self.control,
            specification=self.item,
        )

    def tags(self, *extra: str) -> list[str]:
        controls = (self.control, *self.more_controls)
        items = (self.item, *self.more_items)
        return [
            *(f"nist-800-53:{c}" for c in controls),
            *(f"sp-800-204:{i}" for i in items),
            "kubernetes",
            *extra,
        ]

    def metadata(self, *extra_tags: str) -> dict[str, Any]:
        """Keyword arguments for a Policy constructor: framework and tags."""
        return {"framework": self.framework(), "tags": self.tags(*extra_tags)}
