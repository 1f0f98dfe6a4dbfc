"""`fleetops config check`: everything the server would load, checked offline, and the references between
the settings, the policy files and the inventory, like `promtool check config`. `serve` and `worker`
run the same check and refuse to start on an error, so a fleet never runs half-configured.

Offline means no backend is contacted (that is `fleetops doctor`); the inventory is read from the
database when it answers, since "every active cluster has a scheduler" is a fact about both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from fleetops.alerts.policy import RoutingTree, load_routes, load_rules, routes_path, rules_path
from fleetops.api.probes import readiness
from fleetops.catalog import load_catalog
from fleetops.config import Settings
from fleetops.db.session import Database
from fleetops.errors import FleetopsError
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster, Node, Rack, Site, Supplier
from fleetops.remediation.policy import load_policy


@dataclass(frozen=True)
class Finding:
    level: str  # "error" refuses to serve; "warning" is said and served
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


def settings_file() -> str:
    return os.environ.get("FLEETOPS_CONFIG") or "settings (no FLEETOPS_CONFIG file)"


def _loaded(what: str, load: Callable[[], object]) -> tuple[object | None, list[Finding]]:
    try:
        return load(), []
    except FleetopsError as error:
        return None, [Finding("error", what, error.message)]


def receiver_references(settings: Settings, tree: RoutingTree) -> list[Finding]:
    """The receivers remediation names exist with the right kind; credentials name real receivers."""
    kinds = {r.name: r.kind for r in tree.receivers}
    where, found = settings_file(), []
    wanted = (
        ("remediation.tickets", settings.remediation.tickets, "jira"),
        ("remediation.pager", settings.remediation.pager, "pagerduty"),
        ("remediation.customers", settings.remediation.customers, "slack"),
    )
    for key, name, kind in wanted:
        if kinds.get(name) != kind:
            got = f"a {kinds[name]} receiver" if name in kinds else "not in the routing tree"
            found.append(Finding("error", where, f"key {key}: {name!r} must be a {kind} receiver ({got})"))
    given = (("notify.routing_keys", settings.notify.routing_keys, "pagerduty"),)
    given += (("notify.webhooks", settings.notify.webhooks, "slack"),)
    for key, names, kind in given:
        for name in names:
            if kinds.get(name) != kind:
                found.append(Finding("error", where, f"key {key}.{name}: no {kind} receiver {name!r}"))
    found += [
        Finding("warning", str(routes_path()), f"receiver {name}: nothing configured to reach it")
        for name in tree.undeliverable(settings.notify)
    ]
    return found


def inventory_references(settings: Settings, database: Database) -> list[Finding]:
    """Every active cluster has the scheduler its orchestrator needs; every site with nodes has BMC
    credentials. Unreadable inventory is a warning: `config check` is also run before `db upgrade`."""
    where, not_ready = settings_file(), readiness(database)
    if not_ready is not None:
        return [Finding("warning", "inventory", f"not checked: {not_ready}")]
    try:
        with database.transaction() as session:
            clusters = session.execute(
                select(Cluster.name, Cluster.orchestrator).where(
                    Cluster.state.in_([ClusterState.ACTIVE, ClusterState.DEPLOYING])
                )
            ).all()
            sites = session.execute(
                select(Site.name, Supplier.name, func.count(Node.id))
                .join(Rack, Rack.site_id == Site.id)
                .join(Node, Node.rack_id == Rack.id)
                .join(Supplier, Supplier.id == Site.supplier_id)
                .group_by(Site.name, Supplier.name)
            ).all()
    except SQLAlchemyError as error:
        why = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return [Finding("warning", "inventory", f"not checked: the database did not answer ({why})")]
    found = []
    for name, orchestrator in clusters:
        section = settings.clusters.get(name)
        missing = ["slurm or kubernetes"] if section is None else section.missing_for(orchestrator.value)
        if missing:
            message = f"cluster {name} ({orchestrator.value}) has no {' and '.join(missing)} scheduler"
            found.append(Finding("error", where, f"key clusters.{name}: {message}"))
    for site, supplier, nodes in sites:
        if settings.redfish.credentials(site, supplier) is None:
            message = f"site {site} (supplier {supplier}, {nodes} nodes) has no BMC credentials"
            found.append(Finding("error", where, f"key redfish: {message} (sites, suppliers or default)"))
    return found


def check(settings: Settings, database: Database | None) -> list[Finding]:
    """Every problem found, errors first; the settings themselves were validated by loading them."""
    tree, found = _loaded(str(routes_path()), load_routes)
    for what, load in (
        (str(rules_path()), load_rules),
        ("remediation policy", load_policy),
        ("XID catalog", load_catalog),
    ):
        found += _loaded(what, load)[1]
    if isinstance(tree, RoutingTree):
        found += receiver_references(settings, tree)
    if database is not None and not settings.simulate:
        found += inventory_references(settings, database)
    return sorted(found, key=lambda f: f.level != "error")


def errors(found: Iterable[Finding]) -> list[Finding]:
    return [f for f in found if f.level == "error"]
