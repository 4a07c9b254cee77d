"""cicd-ci-role-no-cluster-write: GitHub-trusted roles get no Kubernetes write access."""

from __future__ import annotations

import json
from typing import Any

from components.identities import github_trust_policy
from tests.packharness import UNKNOWN, Res, analyze_stack, violations
from tests.policies.cicd_pack import analyze_linked_stack

from cicd_baseline.eks import ci_role_no_cluster_write  # isort: skip

NAME = "cicd-ci-role-no-cluster-write"
PROVIDER = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
CI_ROLE = Res("aws:iam/role:Role", {"assumeRolePolicy": json.dumps(
    github_trust_policy(PROVIDER, ["repo:acme/platform:environment:production"]))}, name="deploy")
NODE_ROLE = Res("aws:iam/role:Role", {"assumeRolePolicy": json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})},
    name="node")


def _association(policy_arn: str, principal: str = UNKNOWN) -> Res:
    return Res("aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
               {"clusterName": "c", "principalArn": principal, "policyArn": policy_arn,
                "accessScope": {"type": "cluster"}}, name="assoc")


def _messages(resources: list[Res], principal_of: str | None) -> list[str]:
    links: dict[str, Any] = {"assoc": {"principalArn": [principal_of]}, "entry": {"principalArn": [principal_of]}} \
        if principal_of else {}
    return [f.message for f in violations(analyze_linked_stack(ci_role_no_cluster_write, resources, links), NAME)]


def test_cluster_admin_for_the_deploy_role_is_a_violation() -> None:
    (message,) = _messages([CI_ROLE, _association(ADMIN)], CI_ROLE.urn)
    assert "AmazonEKSClusterAdminPolicy" in message


def test_view_policy_for_a_ci_role_passes() -> None:
    assert _messages([CI_ROLE, _association(VIEW)], CI_ROLE.urn) == []


def test_admin_for_a_non_ci_role_is_out_of_scope() -> None:
    assert _messages([NODE_ROLE, _association(ADMIN)], NODE_ROLE.urn) == []


def test_ci_role_given_by_arn_in_config() -> None:
    arn = "arn:aws:iam::111122223333:role/external-ci"
    resources = [_association(ADMIN, principal=arn)]
    assert violations(analyze_stack(ci_role_no_cluster_write, resources), NAME) == []
    found = violations(analyze_stack(ci_role_no_cluster_write, resources, {NAME: {"ciRoleArns": [arn]}}), NAME)
    assert len(found) == 1 and "AmazonEKSClusterAdminPolicy" in found[0].message


def test_kubernetes_groups_for_a_ci_role_are_a_violation() -> None:
    entry = Res("aws:eks/accessEntry:AccessEntry", {"clusterName": "c", "principalArn": UNKNOWN,
                                                    "kubernetesGroups": ["system:masters"]}, name="entry")
    (message,) = _messages([CI_ROLE, entry], CI_ROLE.urn)
    assert "system:masters" in message
