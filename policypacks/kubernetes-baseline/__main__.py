"""The kubernetes-baseline CrossGuard pack, as `pulumi preview --policy-pack` loads it."""

from k8s_baseline import POLICIES
from pulumi_policy import PolicyPack

PolicyPack(name="kubernetes-baseline", policies=POLICIES)
