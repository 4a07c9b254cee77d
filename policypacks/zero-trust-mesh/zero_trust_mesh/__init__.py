"""The zero-trust-mesh pack's policies (the pack's __main__ serves POLICIES)."""

from . import (
    authorization_policy,
    destination_rule,
    egress,
    gateway,
    helm,
    peer_authentication,
    stack,
    telemetry,
)

POLICIES = [
    *peer_authentication.POLICIES,
    *authorization_policy.POLICIES,
    *destination_rule.POLICIES,
    *gateway.POLICIES,
    *egress.POLICIES,
    *helm.POLICIES,
    *telemetry.POLICIES,
    *stack.POLICIES,
]
