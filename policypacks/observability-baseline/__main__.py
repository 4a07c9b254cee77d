"""The observability-baseline CrossGuard pack: the Pulumi engine (or preflight) runs this file and talks gRPC to it."""

from observability_baseline import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="observability-baseline", policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
