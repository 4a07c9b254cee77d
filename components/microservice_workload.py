"""The workload half of a microservice: a hardened pod template (Pod Security "restricted") and
its Service ports, derived from the declaration."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s

from components.microservice_args import MicroserviceArgs

CORE = k8s.core.v1
APP_PROTOCOL = {"http": "http", "http2": "http2", "grpc": "grpc", "tcp": "tcp"}
SCRATCH_DIR = "/tmp"  # noqa: S108 - a private, size-limited emptyDir, not a shared host path


def _probe(svc: MicroserviceArgs) -> k8s.core.v1.ProbeArgs:
    first = (svc.http_ports or svc.ports)[0]
    timing: dict[str, Any] = {"period_seconds": 10, "timeout_seconds": 2, "failure_threshold": 3}
    if first.protocol in ("http", "http2"):
        return CORE.ProbeArgs(
            http_get=CORE.HTTPGetActionArgs(path=svc.health_path, port=first.port), **timing
        )
    if first.protocol == "grpc":
        return CORE.ProbeArgs(grpc=CORE.GRPCActionArgs(port=first.port), **timing)
    return CORE.ProbeArgs(tcp_socket=CORE.TCPSocketActionArgs(port=first.port), **timing)


def _container(svc: MicroserviceArgs) -> k8s.core.v1.ContainerArgs:
    res = svc.resources
    return CORE.ContainerArgs(
        name="app",
        image=svc.image,
        ports=[CORE.ContainerPortArgs(name=p.name, container_port=p.port, protocol="TCP") for p in svc.ports],
        env=[CORE.EnvVarArgs(name=k, value=v) for k, v in sorted(svc.env.items())] or None,
        resources=CORE.ResourceRequirementsArgs(
            requests={"cpu": res.cpu_request, "memory": res.memory_request},
            limits={"cpu": res.cpu_limit, "memory": res.memory_limit},
        ),
        readiness_probe=_probe(svc),
        liveness_probe=_probe(svc),
        security_context=CORE.SecurityContextArgs(
            run_as_non_root=True,
            run_as_user=svc.run_as_user,
            run_as_group=svc.run_as_user,
            allow_privilege_escalation=False,
            privileged=False,
            read_only_root_filesystem=True,
            capabilities=CORE.CapabilitiesArgs(drop=["ALL"]),
            seccomp_profile=CORE.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        volume_mounts=[CORE.VolumeMountArgs(name="tmp", mount_path=SCRATCH_DIR)],
    )


def pod_template(svc: MicroserviceArgs) -> k8s.core.v1.PodTemplateSpecArgs:
    """Own ServiceAccount without an API token, non-root, no privilege escalation, no
    capabilities, RuntimeDefault seccomp, read-only root filesystem, spread across zones."""
    labels = {"app": svc.name}
    if svc.injection_disabled_insecure:
        labels["sidecar.istio.io/inject"] = "false"
    return CORE.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
        spec=CORE.PodSpecArgs(
            service_account_name=svc.sa,
            # The app needs no Kubernetes API token; the sidecar mounts its own audience-bound one.
            automount_service_account_token=False,
            security_context=CORE.PodSecurityContextArgs(
                run_as_non_root=True,
                run_as_user=svc.run_as_user,
                run_as_group=svc.run_as_user,
                fs_group=svc.run_as_user,
                seccomp_profile=CORE.SeccompProfileArgs(type="RuntimeDefault"),
            ),
            containers=[_container(svc)],
            # A read-only root filesystem still needs a scratch directory.
            volumes=[CORE.VolumeArgs(name="tmp", empty_dir=CORE.EmptyDirVolumeSourceArgs(size_limit="64Mi"))],
            topology_spread_constraints=[
                CORE.TopologySpreadConstraintArgs(
                    max_skew=1,
                    topology_key="topology.kubernetes.io/zone",
                    when_unsatisfiable="ScheduleAnyway",
                    label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": svc.name}),
                )
            ],
        ),
    )


def service_ports(svc: MicroserviceArgs) -> list[k8s.core.v1.ServicePortArgs]:
    """Ports named `<protocol>-<name>` with appProtocol, so Istio never sniffs the protocol."""
    return [
        CORE.ServicePortArgs(
            name=f"{p.protocol}-{p.name}",
            port=p.port,
            target_port=p.port,
            protocol="TCP",
            app_protocol=APP_PROTOCOL[p.protocol],
        )
        for p in svc.ports
    ]
