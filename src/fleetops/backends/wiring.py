"""The one place the real backends are built from settings: the deploy engine's steps, the remediation
executors, and the decommission's drain and wipe. `serve` and `worker` call `install`. (The alerts'
notifiers read their credentials from the same settings at delivery: `alerts.notify.Notifiers`.)

What is not configured is not skipped: a step whose backend is missing raises NotConfigured, so the
node, the run or the decommission waits with the reason shown, and nothing is marked done by a backend
that touched nothing. With `simulate` set (the demo), the simulated backends are used instead.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from fleetops.adapters.pagerduty.client import PagerDutyClient
from fleetops.adapters.redfish.bmcs import Bmcs
from fleetops.adapters.slack.client import SlackClient
from fleetops.alerts.notify import jira_client
from fleetops.alerts.policy import RoutingTree, default_routes
from fleetops.backends.bmcs import BmcLogin
from fleetops.backends.schedulers import Schedulers
from fleetops.config import Settings
from fleetops.db.session import Database
from fleetops.deploy import decommission
from fleetops.deploy import engine as deploy_engine
from fleetops.deploy.backends import Backends, StepContext, StepResult
from fleetops.deploy.claim import Limits
from fleetops.deploy.hardening import ScanGate
from fleetops.deploy.join import SchedulerJoin
from fleetops.deploy.power import RedfishPowerOn
from fleetops.deploy.provision import CommandProvisioner, HttpProvisioner
from fleetops.deploy.qualify import AgentQualifier, results_directory
from fleetops.deploy.virtual_media import RedfishVirtualMedia
from fleetops.errors import ExternalError, NotConfigured
from fleetops.remediation import engine as remediation_engine
from fleetops.remediation.executors import AgentGpuReset, Executors, RedfishPower
from fleetops.remediation.notices import PortNotices
from fleetops.remediation.steps import Timing
from fleetops.security import firmware
from fleetops.security.updates import engine as updates_engine
from fleetops.security.updates.hooks import CommandHook, UpdateHook

log = logging.getLogger("fleetops.backends")


@dataclass
class Unconfigured:
    """A step whose backend the settings do not name: it waits, saying which setting is missing."""

    name: str
    setting: str

    def run(self, ctx: StepContext) -> StepResult:
        raise NotConfigured(f"node {ctx.hostname}: no {self.name} configured ({self.setting})")


def provisioner(settings: Settings, login: BmcLogin) -> Any:
    chosen, poll_s = settings.provisioner, settings.deploy.poll_s
    if chosen is None:
        return Unconfigured("provisioner", "[fleetops.provisioner]")
    if chosen.kind == "virtual_media":
        assert chosen.image_url is not None
        return RedfishVirtualMedia(
            login,
            chosen.image_url,
            poll_s=poll_s,
            timeout_s=chosen.timeout_s,
            min_install_s=chosen.min_install_s,
        )
    if chosen.kind == "command":
        assert chosen.start is not None and chosen.status is not None
        return CommandProvisioner(chosen.start, chosen.status, poll_s=poll_s)
    headers = {"Authorization": f"Bearer {chosen.token.get_secret_value()}"} if chosen.token else {}
    return HttpProvisioner(
        httpx.Client(base_url=chosen.url or "", headers=headers, timeout=30), poll_s=poll_s
    )


def deploy_backends(settings: Settings, database: Database, schedulers: Schedulers) -> Backends:
    login, chosen = BmcLogin(settings.redfish, database), settings.deploy
    return Backends(
        power=RedfishPowerOn(connect=login, poll_s=chosen.poll_s),
        provisioner=provisioner(settings, login),
        hardening=ScanGate(poll_s=chosen.poll_s),
        qualifier=AgentQualifier(
            results_directory(Path(chosen.qualification_results)),
            poll_s=chosen.poll_s,
            burn_in_s=chosen.burn_in_s,
        ),
        joiner=SchedulerJoin(scheduler_for=schedulers, poll_s=chosen.poll_s),
    )


def _receiver_url(tree: RoutingTree, name: str) -> str:
    found = [r for r in tree.receivers if r.name == name]
    return (found[0].url or "") if found else ""


def executors(settings: Settings, database: Database, schedulers: Schedulers) -> Executors:
    """Remediation's ports: the cluster's scheduler, GPU reset through the node's agent, power over the
    node's BMC, and tickets, pages and customer notes through the routing tree's receivers."""
    tree, chosen = default_routes(), settings.remediation
    routing_key = settings.notify.routing_keys.get(chosen.pager)
    notices = PortNotices(
        ticketer=jira_client(settings.notify),
        chat=SlackClient(),
        pager=PagerDutyClient(),
        jira_url=_receiver_url(tree, chosen.tickets),
        projects=dict(chosen.projects),
        pagerduty_url=_receiver_url(tree, chosen.pager) or PortNotices.pagerduty_url,
        routing_key=routing_key.get_secret_value() if routing_key else "",
        webhooks=settings.notify.webhooks.get(chosen.customers, {}),
    )
    login = BmcLogin(settings.redfish, database)
    return Executors(schedulers, AgentGpuReset(database), RedfishPower(connect=login), notices)


def timing(settings: Settings) -> Timing:
    chosen, default = settings.remediation, Timing()
    polls = {action: min(s, chosen.poll_s or s) for action, s in default.poll_s.items()}
    return Timing(poll_s=polls, timeout_s=default.timeout_s, settle_s=chosen.settle_s)


@dataclass
class Wipe:
    """The decommission's wipe: the operator's command per node (`{hostname}`), e.g. a BMC secure erase."""

    command: str
    timeout_s: float = 3600.0

    def __call__(self, cluster: str, orchestrator: str, hostnames: Sequence[str]) -> None:
        for hostname in hostnames:
            argv = shlex.split(self.command.format(hostname=hostname))
            try:
                done = subprocess.run(
                    argv, capture_output=True, text=True, timeout=self.timeout_s, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                raise ExternalError(f"node {hostname}: wipe {argv[0]}: {error}", retryable=True) from error
            if done.returncode != 0:
                why = (done.stderr or done.stdout).strip()[-300:]
                raise ExternalError(f"node {hostname}: wipe exited {done.returncode}: {why}", retryable=True)


def decommission_hooks(settings: Settings, schedulers: Schedulers) -> decommission.Hooks:
    def drain(cluster: str, orchestrator: str, hostnames: Sequence[str]) -> None:
        scheduler = schedulers(cluster, orchestrator)
        for hostname in hostnames:
            scheduler.drain(hostname, f"fleetops: cluster {cluster} decommissioned")

    def no_wipe(cluster: str, orchestrator: str, hostnames: Sequence[str]) -> None:
        raise NotConfigured(f"cluster {cluster}: no wipe configured ([fleetops.deploy] wipe)")

    return decommission.Hooks(drain, Wipe(settings.deploy.wipe) if settings.deploy.wipe else no_wipe)


def update_hooks(settings: Settings) -> Callable[[str], UpdateHook]:
    """Emergency updates' hook per cluster: its `[fleetops.updates]` commands, else the default's."""

    def hook(cluster: str) -> UpdateHook:
        chosen = settings.updates.commands(cluster)
        if chosen is None:
            raise NotConfigured(
                f"cluster {cluster}: no update commands ([fleetops.updates.clusters.{cluster}] or "
                "[fleetops.updates.default])"
            )
        return CommandHook(chosen.update, chosen.qualify, cluster, chosen.timeout_s)

    return hook


def install(settings: Settings, database: Database) -> None:
    """Install the real backends for this process's worker and API (unless simulating: the demo)."""
    if settings.simulate:
        log.warning("backends are SIMULATED (simulate is set): nothing real is driven")
        return
    schedulers = Schedulers(settings.clusters)
    limits = Limits(min_poll_s=min(Limits.min_poll_s, settings.deploy.poll_s))
    deploy_engine.use_engine(deploy_engine.Engine(deploy_backends(settings, database, schedulers), limits))
    remediation_engine.use_engine(
        remediation_engine.Engine(executors(settings, database, schedulers), timing=timing(settings))
    )
    decommission.use_hooks(decommission_hooks(settings, schedulers))
    updates_engine.use_engine(updates_engine.Engine(schedulers, update_hooks(settings)))
    firmware.use_reader(Bmcs(BmcLogin(settings.redfish, database)))
