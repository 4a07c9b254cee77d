"""The cicd-baseline policy pack: `pulumi preview --policy-pack policypacks/cicd-baseline`."""

from cicd_baseline import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="cicd-baseline", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
