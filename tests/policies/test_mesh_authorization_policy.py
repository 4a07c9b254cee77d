"""authorization-allow-requires-from, authorization-no-wildcard-principals,
authorization-no-negative-match-in-allow."""

from __future__ import annotations

from tests.policies.mesh_helpers import istio, messages

FROM = "authorization-allow-requires-from"
WILDCARD = "authorization-no-wildcard-principals"
NEGATIVE = "authorization-no-negative-match-in-allow"

CALLER = "cluster.local/ns/frontend/sa/frontend"


def allow(*rules: dict[str, object], action: str | None = "ALLOW") -> object:
    spec: dict[str, object] = {"selector": {"matchLabels": {"app": "orders"}}, "rules": list(rules)}
    if action:
        spec["action"] = action
    return istio("AuthorizationPolicy", spec, name="orders", namespace="orders")


GOOD_RULE = {"from": [{"source": {"principals": [CALLER]}}], "to": [{"operation": {"ports": ["8080"]}}]}


def test_named_callers_pass_all_three() -> None:
    res = allow(GOOD_RULE)
    assert messages(FROM, res) == messages(WILDCARD, res) == messages(NEGATIVE, res) == []


def test_allow_nothing_passes() -> None:
    res = istio("AuthorizationPolicy", {}, name="allow-nothing")
    assert messages(FROM, res) == []


def test_rule_without_from_fails() -> None:
    found = messages(FROM, allow({"to": [{"operation": {"ports": ["8080"]}}]}))
    assert found == ["spec.rules[0] has no `from`: it allows every caller. Name the callers' principals."]


def test_missing_action_means_allow() -> None:
    assert len(messages(FROM, allow({}, action=None))) == 1


def test_empty_source_fails() -> None:
    found = messages(FROM, allow({"from": [{"source": {}}]}))
    assert len(found) == 1 and found[0].startswith("spec.rules[0].from[0].source is empty")


def test_deny_rule_without_from_is_not_this_policys_business() -> None:
    assert messages(FROM, allow({"to": [{"operation": {"paths": ["/admin"]}}]}, action="DENY")) == []


def test_wildcard_principal_fails() -> None:
    found = messages(WILDCARD, allow({"from": [{"source": {"principals": ["*"]}}]}))
    assert len(found) == 1 and "principals has '*'" in found[0]


def test_namespace_wide_principal_fails() -> None:
    found = messages(
        WILDCARD, allow({"from": [{"source": {"principals": ["cluster.local/ns/frontend/sa/*"]}}]})
    )
    assert len(found) == 1


def test_request_principal_pinned_issuer_passes_and_any_issuer_fails() -> None:
    pinned = allow(
        {"from": [{"source": {"principals": [CALLER], "requestPrincipals": ["https://id.example.com/*"]}}]}
    )
    assert messages(WILDCARD, pinned) == []
    anyone = allow({"from": [{"source": {"requestPrincipals": ["*"]}}]})
    assert len(messages(WILDCARD, anyone)) == 1


def test_wildcard_namespace_fails() -> None:
    assert len(messages(WILDCARD, allow({"from": [{"source": {"namespaces": ["*"]}}]}))) == 1


def test_wildcard_in_deny_is_allowed() -> None:
    assert messages(WILDCARD, allow({"from": [{"source": {"principals": ["*"]}}]}, action="DENY")) == []


def test_negative_matches_in_allow_fail() -> None:
    rule = {
        "from": [{"source": {"principals": [CALLER], "notNamespaces": ["kube-system"]}}],
        "to": [{"operation": {"notPaths": ["/admin"], "methods": ["GET"]}}],
        "when": [{"key": "request.headers[x-env]", "notValues": ["prod"]}],
    }
    found = messages(NEGATIVE, allow(rule))
    assert found == [
        "spec.rules[0].from[0].source.notNamespaces in an ALLOW rule: use positive matches only.",
        "spec.rules[0].to[0].operation.notPaths in an ALLOW rule: use positive matches only.",
        "spec.rules[0].when[0].notValues in an ALLOW rule: use `values` only.",
    ]


def test_negative_matches_in_deny_pass() -> None:
    assert messages(NEGATIVE, allow({"to": [{"operation": {"notPaths": ["/public"]}}]}, action="DENY")) == []
