"""The zero-trust-mesh policy pack: what `pulumi preview --policy-pack` and preflight start."""

from pulumi_policy import EnforcementLevel, PolicyPack
from zero_trust_mesh import POLICIES

PolicyPack(name="zero-trust-mesh", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
