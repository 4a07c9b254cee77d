"""kubernetes-baseline: Pod Security Standards, workload hygiene and namespace isolation.

POLICIES is the pack, in the order the analyzer runs them. pod-security-exemption comes first:
it publishes the pack settings the other policies read within the same request (settings.py).
"""

from __future__ import annotations

from pulumi_policy import Policy

from .cluster import CLUSTER_POLICIES
from .exemption import PodSecurityExemptionPolicy
from .hygiene import HYGIENE_POLICIES
from .images import IMAGE_POLICIES
from .namespaces import DEFAULT_DENY, NAMESPACE_POLICIES, POD_SECURITY_LABEL
from .pss import PSS_POLICIES
from .workload import WorkloadPolicy

WORKLOAD_POLICIES: list[WorkloadPolicy] = [*PSS_POLICIES, *IMAGE_POLICIES, *HYGIENE_POLICIES]

# Policies a namespace can be exempted from, and whether PSA-style pack-wide exemptions cover them.
EXEMPTABLE: dict[str, bool] = {
    **{p.name: p.pod_security for p in WORKLOAD_POLICIES},
    POD_SECURITY_LABEL: True,
    DEFAULT_DENY: False,
}

EXEMPTION_POLICY = PodSecurityExemptionPolicy(EXEMPTABLE)

POLICIES: list[Policy] = [EXEMPTION_POLICY, *WORKLOAD_POLICIES, *CLUSTER_POLICIES, *NAMESPACE_POLICIES]

__all__ = ["EXEMPTABLE", "EXEMPTION_POLICY", "POLICIES", "PSS_POLICIES", "WORKLOAD_POLICIES"]
