"""telemetry-access-logging-enabled: no mesh-wide Telemetry turns Istio access logging off.

Access logs are the mesh's record of every request and its caller's identity (SP 800-204B
B-g2, SP 800-204C §4.5). A Telemetry resource applies mesh-wide when it sits in the Istio root
namespace with no `selector` and no `targetRef(s)`; one with `accessLogging[].disabled: true`
switches access logging off for every proxy at once. Workload- or namespace-scoped Telemetry
resources are out of scope here (they are a team's local choice).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs, Severity

from .meta import Config, ObsResourcePolicy
from .util import as_list, config_string, get, is_true

TELEMETRY_TYPES = (
    "kubernetes:telemetry.istio.io/v1:Telemetry",
    "kubernetes:telemetry.istio.io/v1beta1:Telemetry",
    "kubernetes:telemetry.istio.io/v1alpha1:Telemetry",
)

CONFIG = {
    "rootNamespace": {"type": "string", "default": "istio-system", "minLength": 1,
                      "description": "The Istio root namespace (meshConfig.rootNamespace)."},
}


def check(args: ResourceValidationArgs, cfg: Config) -> Iterator[str]:
    root = config_string(cfg, "rootNamespace")
    props = args.props
    namespace = get(props, "metadata", "namespace")
    if namespace != root:
        return
    spec = get(props, "spec")
    if get(spec, "selector") is not None or get(spec, "targetRef") is not None or as_list(get(spec, "targetRefs")):
        return
    name = get(props, "metadata", "name") or args.name
    for i, logging in enumerate(as_list(get(spec, "accessLogging"))):
        if is_true(get(logging, "disabled")):
            yield (
                f"Telemetry {root}/{name} applies to the whole mesh and spec.accessLogging[{i}].disabled is true: "
                "no proxy writes access logs. Remove `disabled` (or set it to false); to reduce volume, "
                "use a `filter` expression instead."
            )


POLICIES = [
    ObsResourcePolicy(
        name="telemetry-access-logging-enabled",
        description=(
            "A mesh-wide Istio Telemetry resource (root namespace, no selector or targetRef) does not disable "
            "access logging (spec.accessLogging[].disabled)."
        ),
        resource_types=TELEMETRY_TYPES,
        check=check,
        severity=Severity.HIGH,
        nist=("AU-12", "AU-2", "AU-3"),
        sp800204=("C-4.5-1", "B-g2", "C-2.2-6"),
        remediation=(
            "Remove `disabled: true` from spec.accessLogging of the root-namespace Telemetry (the ServiceMesh "
            "component's `access_logging_disabled_insecure` option sets it); filter noisy requests with "
            "accessLogging[].filter.expression instead."
        ),
        config=CONFIG,
        topics=("logs", "istio"),
    )
]
