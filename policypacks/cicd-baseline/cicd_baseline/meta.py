"""Policy metadata in one shape: the NIST SP 800-53 control and the SP 800-204C item, as framework and tags."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyComplianceFramework


def compliance(control: str, item: str, *topics: str) -> dict[str, Any]:
    """`framework` and `tags` keyword arguments for a policy."""
    return {
        "framework": PolicyComplianceFramework(
            name="NIST SP 800-53", version="Rev. 5", reference=control, specification=item
        ),
        "tags": [f"nist-800-53:{control}", f"sp-800-204:{item}", "cicd", *topics],
    }
