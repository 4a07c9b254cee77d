"""Every policy of the cicd-baseline pack."""

from pulumi_policy import Policy

from cicd_baseline.ecr import ecr_explicit_principals, ecr_has_policy, ecr_immutable_scanned
from cicd_baseline.eks import ci_role_no_cluster_write
from cicd_baseline.gitops import gitops_not_cluster_admin
from cicd_baseline.iam import no_access_keys, oidc_trust_pinned
from cicd_baseline.runners import runner_pods_not_privileged

POLICIES: list[Policy] = [
    no_access_keys,
    oidc_trust_pinned,
    ecr_immutable_scanned,
    ecr_explicit_principals,
    ecr_has_policy,
    gitops_not_cluster_admin,
    runner_pods_not_privileged,
    ci_role_no_cluster_write,
]
