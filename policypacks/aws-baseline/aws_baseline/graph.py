"""Pairing resources of a stack (flow log -> VPC, public access block -> bucket) for stack policies.

In a preview of a new stack the ids these references carry (`vpcId`, `bucket`) are unknown, so
comparing values cannot work. The engine still knows which resource each input came from: its
`propertyDependencies`. Links are therefore found, in order, through
  1. the property's dependencies (the FlowLog's `vpcId` depends on the Vpc's URN);
  2. the property's value when it is known, compared with the target's known id properties;
  3. when the value is unknown and the engine sent no property dependencies: the resource's
     dependencies, if exactly one of them is a possible target.
When none of these can decide, the source's unknown value is raised, so the SDK reports the policy
as not runnable during preview instead of inventing a result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError


def of_types(args: StackValidationArgs, *types: str) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in types]


def _read(resource: PolicyResource, key: str) -> Any:
    """A top-level property; raises UnknownValueError when the engine sent it as unknown."""
    return resource.props.get(key)


def _known(resource: PolicyResource, key: str) -> Any:
    """A top-level property, or None when it is missing or unknown."""
    try:
        return _read(resource, key)
    except UnknownValueError:
        return None


def group_by_target(
    sources: Sequence[PolicyResource],
    prop: str,
    targets: Sequence[PolicyResource],
    id_props: Sequence[str],
    deferred: Deferred,
) -> dict[str, list[PolicyResource]]:
    """For each target URN, the sources that refer to it; sources that cannot be placed go to `deferred`."""
    grouped: dict[str, list[PolicyResource]] = {t.urn: [] for t in targets}
    for source in sources:
        with deferred.guard():
            for urn in linked(source, prop, targets, id_props):
                grouped[urn].append(source)
    return grouped


def linked(
    source: PolicyResource, prop: str, targets: Sequence[PolicyResource], id_props: Sequence[str]
) -> set[str]:
    """URNs of the `targets` that `source.props[prop]` refers to (see the module docstring)."""
    if not targets:
        return set()
    candidates = {t.urn for t in targets}
    through_deps = {d.urn for d in source.property_dependencies.get(prop, []) if d.urn in candidates}
    if through_deps:
        return through_deps
    try:
        value = _read(source, prop)
    except UnknownValueError:
        owners = {d.urn for d in source.dependencies if d.urn in candidates}
        if len(owners) == 1:
            return owners
        raise
    if not value:
        return set()
    return {t.urn for t in targets if any(_known(t, key) == value for key in id_props)}


class Deferred:
    """Keeps the first unknown value met while checking many resources, to raise after the others.

    Violations that are certain get reported first; the unknown then becomes the SDK's advisory
    "can't run policy during preview" notice, so nothing is silently passed.
    """

    def __init__(self) -> None:
        self.error: UnknownValueError | None = None

    def note(self, error: UnknownValueError) -> None:
        if self.error is None:
            self.error = error

    @contextmanager
    def guard(self) -> Iterator[None]:
        try:
            yield
        except UnknownValueError as error:
            self.note(error)

    def raise_if_any(self) -> None:
        if self.error is not None:
            raise self.error
