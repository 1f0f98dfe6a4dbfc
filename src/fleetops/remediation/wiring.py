"""The production executors: the shared adapters' real clients behind remediation's ports.

Kept apart from the engine so tests and the simulator never import a real client by accident. The
values come from the operator's configuration (see docs/remediation.md: a `remediation` settings
section is proposed; until it exists, `fleetops serve` keeps the simulated executors).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fleetops.remediation.executors import Executors, NodeScheduler, RedfishPower, SshGpuReset
from fleetops.remediation.notices import PortNotices


@dataclass(frozen=True)
class Wiring:
    slurm_conf: str | None = None
    bmc_username: str | None = None
    bmc_password: str | None = None
    bmc_verify_tls: bool = True
    jira_url: str = ""
    jira_token: str | None = None
    jira_projects: dict[str, str] = field(default_factory=lambda: {"*": "RMA"})
    pagerduty_routing_key: str = ""
    kubeconfig: str | None = None
    kube_context: str | None = None


def production_executors(wiring: Wiring) -> Executors:
    from fleetops.adapters.jira.client import JiraClient
    from fleetops.adapters.pagerduty.client import PagerDutyClient
    from fleetops.adapters.redfish.client import RedfishClient
    from fleetops.adapters.slack.client import SlackClient
    from fleetops.adapters.slurm.client import SlurmClient

    def connect(base: str) -> RedfishClient:
        return RedfishClient(base, wiring.bmc_username, wiring.bmc_password, verify=wiring.bmc_verify_tls)

    notices = PortNotices(
        ticketer=JiraClient(token=wiring.jira_token),
        chat=SlackClient(),
        pager=PagerDutyClient(),
        jira_url=wiring.jira_url,
        projects=dict(wiring.jira_projects),
        routing_key=wiring.pagerduty_routing_key,
    )
    from fleetops.adapters.kubernetes.client import KubernetesClient

    schedulers: dict[str, NodeScheduler] = {"slurm": SlurmClient(wiring.slurm_conf)}
    if wiring.kubeconfig is not None:  # without one, Kubernetes clusters' runs escalate to a person
        schedulers["kubernetes"] = KubernetesClient.from_kubeconfig(wiring.kubeconfig, wiring.kube_context)
    return Executors(schedulers, SshGpuReset(), RedfishPower(connect=connect), notices)
