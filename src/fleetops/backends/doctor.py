"""`fleetops doctor`: try each configured backend live, read-only, one line each, so an operator learns
before a rollout that a BMC password is wrong or a kubeconfig has expired, not from a node stuck at
power-on. Nothing is changed anywhere: a BMC is asked for its systems, a scheduler for one node's state,
Jira for a search. PagerDuty and Slack have no dry run, so they are reported configured, not sent.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
from sqlalchemy import select

from fleetops.adapters.redfish.bmcs import locate
from fleetops.alerts.notify import jira_client
from fleetops.alerts.policy import default_routes
from fleetops.api.probes import readiness
from fleetops.backends.bmcs import BmcLogin
from fleetops.backends.schedulers import Schedulers
from fleetops.config import Settings
from fleetops.db.session import Database
from fleetops.errors import FleetopsError
from fleetops.inventory.models import Cluster, Node, Rack, Site


@dataclass(frozen=True)
class Line:
    ok: bool
    what: str
    detail: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.what}: {self.detail}"


def _try(what: str, probe: Callable[[], str]) -> Line:
    try:
        return Line(True, what, probe())
    except FleetopsError as error:
        return Line(False, what, error.message)
    except (httpx.HTTPError, OSError) as error:
        return Line(False, what, f"{type(error).__name__}: {error}")


def _one_node_each(database: Database, key: object, where: object) -> dict[str, tuple[str, str | None]]:
    """One node (hostname, BMC address) per site or cluster: enough to prove the credentials or scheduler."""
    with database.transaction() as session:
        rows = session.execute(
            select(key, Node.hostname, Node.bmc_address)
            .join(Rack, Rack.id == Node.rack_id)
            .join(Site, Site.id == Rack.site_id)
            .outerjoin(Cluster, Cluster.id == Node.cluster_id)
            .where(where)  # type: ignore[arg-type]
            .order_by(Node.id)
        ).all()
    found: dict[str, tuple[str, str | None]] = {}
    for name, hostname, bmc in rows:
        found.setdefault(name, (hostname, bmc))
    return found


def _bmcs(settings: Settings, database: Database) -> Iterator[Line]:
    login = BmcLogin(settings.redfish, database)
    for site, (hostname, bmc) in _one_node_each(database, Site.name, Node.bmc_address.is_not(None)).items():
        base = locate(bmc or "")[0]

        def probe(base: str = base, hostname: str = hostname) -> str:
            systems = login(base).systems()
            return f"{len(systems)} system(s) at {base} (node {hostname})"

        yield _try(f"redfish site {site}", probe)


def _schedulers(settings: Settings, database: Database) -> Iterator[Line]:
    pick = Schedulers(settings.clusters)
    with database.transaction() as session:
        clusters = dict(session.execute(select(Cluster.name, Cluster.orchestrator)).all())
    nodes = _one_node_each(database, Cluster.name, Cluster.name.in_(list(settings.clusters)))
    for name in settings.clusters:
        if name not in clusters:
            yield Line(False, f"scheduler cluster {name}", "configured but not in the inventory")
            continue
        hostname = nodes.get(name, ("", None))[0]

        def probe(name: str = name, hostname: str = hostname) -> str:
            status = pick(name, clusters[name].value).status(hostname)
            return f"node {hostname} is {status.state}"

        yield (
            _try(f"scheduler cluster {name}", probe)
            if hostname
            else Line(True, f"scheduler cluster {name}", "no node to ask about yet")
        )


def _provisioner(settings: Settings) -> Iterator[Line]:
    chosen = settings.provisioner
    if chosen is None:
        yield Line(False, "provisioner", "none configured ([fleetops.provisioner]): bring-ups wait at it")
        return
    if chosen.kind == "command":
        program = shlex.split(chosen.start or "")[0]
        found = shutil.which(program)
        yield Line(bool(found), "provisioner command", found or f"{program}: not found on PATH")
        return
    url = chosen.image_url if chosen.kind == "virtual_media" else chosen.url
    assert url is not None
    if "{" in url:
        yield Line(True, f"provisioner {chosen.kind}", f"{url} is a template: checked per node when used")
        return
    yield _try(
        f"provisioner {chosen.kind}",
        lambda: f"{url} answered {httpx.head(url, timeout=10, follow_redirects=True).status_code}",
    )


def _notifiers(settings: Settings) -> Iterator[Line]:
    tree = default_routes()
    jira = jira_client(settings.notify)
    for receiver in tree.receivers:
        what = f"receiver {receiver.name} ({receiver.kind})"
        if receiver.kind == "jira" and receiver.url:
            url = receiver.url
            yield _try(
                what, lambda url=url: f"{url} searched ({jira.find_issue(url, 'fleetops-doctor') or 'ok'})"
            )
        elif receiver.kind == "pagerduty":
            has = receiver.name in settings.notify.routing_keys
            yield Line(
                has, what, "routing key set (not sent: an event would page)" if has else "no routing key"
            )
        elif receiver.kind == "slack":
            hooks = settings.notify.webhooks.get(receiver.name, {})
            yield Line(bool(hooks), what, f"{len(hooks)} webhook(s) (not posted: Slack has no dry run)")


def diagnose(settings: Settings, database: Database) -> list[Line]:
    not_ready = readiness(database)
    lines = [Line(not_ready is None, "database", not_ready or "reachable, schema current")]
    if not_ready is not None:
        return lines
    return [
        *lines,
        *_bmcs(settings, database),
        *_schedulers(settings, database),
        *_provisioner(settings),
    ] + list(_notifiers(settings))
