"""Canned answers for the invokes (data sources) the platform's components call under mocks.

Each answer is what the real provider returns for a plain account: account 111122223333, the
`aws` partition and the region the invoke asks about (its `region` argument, else the stack's
`aws:region`, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1). Results use the engine's
property names (camelCase), as the provider sends them.

An invoke not listed here is an error naming its token: an empty answer would let a program run
on values no real preview would produce. Only the standard library is imported, so preflight can
load this module before any Pulumi package.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"
CALLER_ROLE = "preflight"  # the role name the canned caller identity reports
ZONES_PER_REGION = {"us-east-1": 6}  # us-east-1 has a-f; most regions have three zones
_DIRECTIONS = {
    "north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}
_PARTITIONS = (
    # (region prefix, partition, DNS suffix, reverse DNS prefix); first match wins
    ("us-gov-", "aws-us-gov", "amazonaws.com", "com.amazonaws"),
    ("cn-", "aws-cn", "amazonaws.com.cn", "cn.com.amazonaws"),
    ("", "aws", "amazonaws.com", "com.amazonaws"),
)


class UnknownInvoke(LookupError):
    """An invoke with no canned answer."""

    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__(
            f"no canned answer for invoke '{token}'; preflight knows: {', '.join(sorted(CANNED))}. "
            "Add one to preflight/canned.py (a realistic result, never an empty one)."
        )


def _region(args: dict[str, Any]) -> str:
    region = args.get("region")
    if isinstance(region, str) and region:
        return region
    try:
        stack_config = json.loads(os.environ.get("PULUMI_CONFIG", "{}"))
    except ValueError:
        stack_config = {}
    configured = stack_config.get("aws:region") if isinstance(stack_config, dict) else None
    if isinstance(configured, str) and configured:
        return configured
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def _partition_of(region: str) -> tuple[str, str, str]:
    for prefix, partition, dns_suffix, reverse in _PARTITIONS:
        if region.startswith(prefix):
            return partition, dns_suffix, reverse
    raise AssertionError("the last _PARTITIONS entry matches every region")


def _zone_id_prefix(region: str) -> str:
    """us-east-1 -> use1, eu-central-2 -> euc2, ap-southeast-1 -> apse1 (AWS's zone-id scheme)."""
    parts = region.split("-")
    country, number = parts[0], parts[-1]
    middle = "".join(_DIRECTIONS.get(p, p[:1]) for p in parts[1:-1])
    return f"{country}{middle}{number}"


def get_caller_identity(args: dict[str, Any]) -> dict[str, Any]:
    """aws:index/getCallerIdentity:getCallerIdentity"""
    partition, _, _ = _partition_of(_region(args))
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{partition}:sts::{ACCOUNT_ID}:assumed-role/{CALLER_ROLE}/preflight-session",
        "id": ACCOUNT_ID,
        "userId": f"AROAEXAMPLEPREFLIGHT:{CALLER_ROLE}-session",
    }


def get_partition(args: dict[str, Any]) -> dict[str, Any]:
    """aws:index/getPartition:getPartition"""
    partition, dns_suffix, reverse = _partition_of(_region(args))
    return {"id": partition, "partition": partition, "dnsSuffix": dns_suffix,
            "reverseDnsPrefix": reverse}


def get_region(args: dict[str, Any]) -> dict[str, Any]:
    """aws:index/getRegion:getRegion"""
    region = _region(args)
    _, dns_suffix, _ = _partition_of(region)
    return {
        "id": region,
        "name": region,  # deprecated alias of `region`, still returned by the provider
        "region": region,
        "endpoint": f"ec2.{region}.{dns_suffix}",
        "description": region,
    }


def get_availability_zones(args: dict[str, Any]) -> dict[str, Any]:
    """aws:index/getAvailabilityZones:getAvailabilityZones (available zones, letters a, b, c...)"""
    region = _region(args)
    count = ZONES_PER_REGION.get(region, 3)
    letters = "abcdefghij"[:count]
    names = [f"{region}{letter}" for letter in letters]
    zone_ids = [f"{_zone_id_prefix(region)}-az{n}" for n in range(1, count + 1)]
    excluded_names = set(args.get("excludeNames") or [])
    excluded_ids = set(args.get("excludeZoneIds") or [])
    kept = [(n, z) for n, z in zip(names, zone_ids, strict=True)
            if n not in excluded_names and z not in excluded_ids]
    return {
        "id": region,
        "region": region,
        "names": [n for n, _ in kept],
        "zoneIds": [z for _, z in kept],
        "groupNames": [region for _ in kept],
        "state": args.get("state") or "available",
        "allAvailabilityZones": args.get("allAvailabilityZones", False),
        "excludeNames": sorted(excluded_names),
        "excludeZoneIds": sorted(excluded_ids),
        "filters": args.get("filters") or [],
    }


CANNED: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": get_caller_identity,
    "aws:index/getPartition:getPartition": get_partition,
    "aws:index/getRegion:getRegion": get_region,
    "aws:index/getAvailabilityZones:getAvailabilityZones": get_availability_zones,
}


def answer(token: str, args: dict[str, Any]) -> dict[str, Any]:
    """The canned result of one invoke; raises UnknownInvoke for a token with no answer."""
    try:
        handler = CANNED[token]
    except KeyError:
        raise UnknownInvoke(token) from None
    return handler(dict(args or {}))
