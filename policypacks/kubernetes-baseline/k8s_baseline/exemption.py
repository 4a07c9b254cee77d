"""pod-security-exemption: the pack's Pod Security settings, and the record of every exemption.

Its config is the pack-wide config (see settings.py for why it lives on one policy):
- `level`: "restricted" (default) or "baseline", the Pod Security level enforced;
- `exemptNamespaces`: namespaces exempt from every Pod Security policy, as PSA's
  exemptions.namespaces (pss-* and namespace-pod-security-label);
- `policyExemptions`: {policy name: [namespaces]}, exemptions from single policies (any
  namespace-scoped policy of the pack, hygiene and stack ones included).

An exempted policy stays silent on the workload, so this policy reports each exempted workload
instead, as an advisory diagnostic starting with "exempt:" that names the namespace, the
policies and the config key that exempts it. It must stay advisory: it reports decisions, not
violations.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from . import settings as pack_settings
from .config import PolicyConfigError, enum, read_config, schema, string_list, string_list_map
from .meta import ControlMap
from .walker import display_name, namespace_of, pod_of
from .workload import provider_props

NAME = pack_settings.SETTINGS_POLICY

CONFIG_SCHEMA = schema(
    level=enum(
        "Pod Security level enforced on workloads: restricted (default) or baseline.",
        pack_settings.LEVELS,
        pack_settings.RESTRICTED,
    ),
    exemptNamespaces=string_list(
        "Namespaces exempt from every Pod Security policy (pss-* and namespace-pod-security-label), "
        "as PSA exemptions.namespaces. Each exempted workload is reported."
    ),
    policyExemptions=string_list_map(
        "Policy name -> namespaces exempt from that policy only. Each exempted workload is reported."
    ),
)


class PodSecurityExemptionPolicy(ResourceValidationPolicy):
    def __init__(self, exemptable: Mapping[str, bool]) -> None:
        """`exemptable`: every namespace-scoped policy of the pack -> whether it is a Pod Security one."""
        self.exemptable = dict(exemptable)
        super().__init__(
            name=NAME,
            description=(
                "exempt: workloads in namespaces exempted by the pack config are reported here, never "
                "silently skipped (the PSA exemptions analogue). This policy's config also holds the "
                "pack's Pod Security level."
            ),
            validate=self._validate,
            enforcement_level=EnforcementLevel.ADVISORY,
            config_schema=CONFIG_SCHEMA,
            severity=Severity.LOW,
            remediation_steps=(
                "Nothing to fix for an intended exemption. Keep exemptions to namespaces whose workloads "
                "need host access (CNI agents, log collectors), give each a reason in the stack's policy "
                "config, and remove an exemption once its workload no longer needs it."
            ),
            **ControlMap("CA-7", "C-4.10-2", more_controls=("CM-6",), more_items=("C-4.9-3",)).metadata(
                "pod-security", "exemptions"
            ),
        )

    def settings_from(self, raw: Mapping[str, object] | None) -> pack_settings.PackSettings:
        config = read_config(self.name, self.config_schema, raw)
        unknown = sorted(set(config["policyExemptions"]) - set(self.exemptable))
        if unknown:
            raise PolicyConfigError(
                self.name,
                f"policyExemptions.{unknown[0]}",
                list(config["policyExemptions"][unknown[0]]),
                "policyExemptions keys naming namespace-scoped policies: "
                + ", ".join(sorted(self.exemptable)),
                "no such policy",
            )
        return pack_settings.PackSettings(
            level=config["level"],
            exempt_namespaces=frozenset(config["exemptNamespaces"]),
            policy_exemptions={k: frozenset(v) for k, v in config["policyExemptions"].items()},
        )

    def _validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        settings = self.settings_from(args.get_config())
        pack_settings.publish(settings)
        if not settings.has_exemptions:
            return
        pod = pod_of(args.resource_type, args.props)
        if pod is None:
            return
        namespace = namespace_of(args.props, provider_props(args))
        by_source: dict[str, list[str]] = {}
        for policy, pod_security in self.exemptable.items():
            source = settings.exemption_source(policy, namespace, pod_security)
            if source is not None:
                by_source.setdefault(source, []).append(policy)
        label = f"{pod.kind} '{display_name(args.props, args.name)}'"
        for source, policies in by_source.items():
            report_violation(
                f"exempt: {label} in namespace '{namespace}' is exempt from {len(policies)} "
                f"{'policy' if len(policies) == 1 else 'policies'} ({', '.join(policies)}) "
                f"by policy config {source}",
                None,
            )
