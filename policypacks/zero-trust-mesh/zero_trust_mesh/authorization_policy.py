"""AuthorizationPolicy: ALLOW rules name who, with exact identities and positive matches only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .meta import Config, resource_policy
from .walk import authz_action, authz_rules, get, is_istio_kind, items, rule_operations, rule_sources


def _allow_rules(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if is_istio_kind(resource_type, "AuthorizationPolicy") and authz_action(props) == "ALLOW":
        yield from authz_rules(props)


def _requires_from(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    # An ALLOW policy without rules allows nothing (the default-deny pattern), so it passes.
    for i, rule in _allow_rules(resource_type, props):
        sources = list(rule_sources(rule))
        if not sources:
            yield f"spec.rules[{i}] has no `from`: it allows every caller. Name the callers' principals."
        for j, source in sources:
            if not source:
                yield (
                    f"spec.rules[{i}].from[{j}].source is empty: it matches every caller. Name "
                    "the principals."
                )


def _is_wildcard_principal(value: str) -> bool:
    return "*" in value


def _is_wildcard_request_principal(value: str) -> bool:
    # `<issuer>/*` pins the issuer and accepts any subject it signs; `*` accepts any issuer.
    return value == "*" or value.startswith("*")


def _no_wildcards(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    for i, rule in _allow_rules(resource_type, props):
        for j, source in rule_sources(rule):
            where = f"spec.rules[{i}].from[{j}].source"
            for value in items(source, "principals"):
                if _is_wildcard_principal(str(value)):
                    yield (
                        f"{where}.principals has {value!r}: list each caller's exact identity "
                        "(ns/<ns>/sa/<sa>)."
                    )
            for value in items(source, "requestPrincipals"):
                if _is_wildcard_request_principal(str(value)):
                    yield (
                        f"{where}.requestPrincipals has {value!r}: pin the issuer (`<issuer>/*` "
                        "or `<issuer>/<sub>`)."
                    )
            for value in items(source, "namespaces"):
                if "*" in str(value):
                    yield f"{where}.namespaces has {value!r}: list the exact caller namespaces."


NEGATIVE_SOURCE = (
    "notPrincipals",
    "notRequestPrincipals",
    "notNamespaces",
    "notIpBlocks",
    "notRemoteIpBlocks",
)
NEGATIVE_OPERATION = ("notHosts", "notPorts", "notMethods", "notPaths")


def _no_negative(resource_type: str, props: Mapping[str, Any], _: Config) -> Iterator[str]:
    for i, rule in _allow_rules(resource_type, props):
        for j, source in rule_sources(rule):
            for key in NEGATIVE_SOURCE:
                if key in source:
                    yield (
                        f"spec.rules[{i}].from[{j}].source.{key} in an ALLOW rule: use positive matches only."
                    )
        for j, operation in rule_operations(rule):
            for key in NEGATIVE_OPERATION:
                if key in operation:
                    yield (
                        f"spec.rules[{i}].to[{j}].operation.{key} in an ALLOW rule: use positive "
                        "matches only."
                    )
        for j, condition in enumerate(items(rule, "when")):
            if get(condition, "notValues") is not None:
                yield f"spec.rules[{i}].when[{j}].notValues in an ALLOW rule: use `values` only."


AUTHZ_ALLOW_REQUIRES_FROM = resource_policy(
    "authorization-allow-requires-from",
    "Every ALLOW rule of an AuthorizationPolicy says who may call (`from` with a non-empty source).",
    _requires_from,
    severity=Severity.HIGH,
    control="AC-3",
    spec="SAUZ-SR-1",
    remediation=(
        "Add `from: [{source: {principals: [<trust-domain>/ns/<ns>/sa/<sa>]}}]` naming the calling "
        "workloads (or `requestPrincipals: [<issuer>/*]` for end users) to every ALLOW rule."
    ),
)

AUTHZ_NO_WILDCARD_PRINCIPALS = resource_policy(
    "authorization-no-wildcard-principals",
    "ALLOW rules name exact identities: no `*` in principals or namespaces, no unpinned requestPrincipals.",
    _no_wildcards,
    severity=Severity.HIGH,
    control="AC-6",
    spec="SM-DR18",
    remediation=(
        "Replace wildcard principals with each caller's SPIFFE identity (`cluster.local/ns/<ns>/sa/<sa>`) "
        "and wildcard request principals with `<issuer>/*`."
    ),
)

AUTHZ_NO_NEGATIVE_MATCH = resource_policy(
    "authorization-no-negative-match-in-allow",
    "ALLOW rules use only positive matches (no notPrincipals, notNamespaces, notPaths, notMethods, ...).",
    _no_negative,
    severity=Severity.HIGH,
    control="AC-3",
    spec="SM-DR1",
    remediation=(
        "Rewrite the rule with positive fields (principals, paths, methods, ...). Negative matches belong in "
        "DENY policies (Istio's ALLOW-with-positive-matching pattern)."
    ),
)

POLICIES = [AUTHZ_ALLOW_REQUIRES_FROM, AUTHZ_NO_WILDCARD_PRINCIPALS, AUTHZ_NO_NEGATIVE_MATCH]
