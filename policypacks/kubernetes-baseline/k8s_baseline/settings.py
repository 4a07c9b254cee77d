"""Pack-wide settings (Pod Security level and namespace exemptions) and how policies see them.

CrossGuard hands each policy only its own config, so there is no pack-wide config in the
protocol. The pack keeps its Pod Security settings in one place, the config of the
`pod-security-exemption` policy (the analogue of PSA's AdmissionConfiguration), and that policy
publishes them here:

- it is the first policy of the pack, and the SDK's servicer runs a request's policies in list
  order on one thread, so within every Analyze call it publishes before any other policy reads;
- stack policies read what the last Analyze call published (the engine configures the pack,
  analyzes every resource, then the stack).

Nothing published (the policy disabled, or a stack analyzed with no resource) means the strict
defaults below: restricted, no exemptions. A missing setting never weakens a check.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

PRIVILEGED = "privileged"
BASELINE = "baseline"
RESTRICTED = "restricted"
LEVELS = (BASELINE, RESTRICTED)
# Pod Security levels from least to most strict (for "at the configured level or stricter").
LEVEL_RANK = {PRIVILEGED: 0, BASELINE: 1, RESTRICTED: 2}

SETTINGS_POLICY = "pod-security-exemption"


@dataclass(frozen=True)
class PackSettings:
    level: str = RESTRICTED
    # Namespaces exempt from every Pod Security policy (PSA exemptions.namespaces).
    exempt_namespaces: frozenset[str] = frozenset()
    # Policy name -> namespaces exempt from that one policy.
    policy_exemptions: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def exemption_source(self, policy: str, namespace: str, pod_security: bool) -> str | None:
        """Which config key exempts `namespace` from `policy`, or None when it is not exempt."""
        if pod_security and namespace in self.exempt_namespaces:
            return f"{SETTINGS_POLICY}.exemptNamespaces"
        if namespace in self.policy_exemptions.get(policy, frozenset()):
            return f"{SETTINGS_POLICY}.policyExemptions[{policy!r}]"
        return None

    @property
    def has_exemptions(self) -> bool:
        return bool(self.exempt_namespaces) or any(self.policy_exemptions.values())


DEFAULT = PackSettings()

_lock = threading.Lock()
_current = DEFAULT


def publish(settings: PackSettings) -> None:
    global _current
    with _lock:
        _current = settings


def current() -> PackSettings:
    with _lock:
        return _current


def reset() -> None:
    """Back to the strict defaults (tests build a fresh servicer per case)."""
    publish(DEFAULT)
