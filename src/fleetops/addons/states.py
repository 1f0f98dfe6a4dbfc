"""Where each add-on's state lives, read for many clusters at once.

An add-on's own settings are a `cluster_addon` row; an add-on whose settings come from another domain
(`settings_from: remediation`) reads them, and its on/off switch, through that domain's service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.addons.catalog import OWN_SWITCH, SETTINGS_FROM, Addon, catalog
from fleetops.addons.models import ClusterAddon
from fleetops.inventory.models import Cluster
from fleetops.remediation import service as remediation


@dataclass
class State:
    addon: str
    version: str
    enabled: bool
    settings: dict[str, Any]
    supported: bool
    updated_by: str | None = None
    updated_at: datetime | None = None
    row: ClusterAddon | None = field(default=None, repr=False)

    def document(self) -> dict[str, Any]:
        """What a change is diffed on: the switch, the version and every setting."""
        return {"enabled": self.enabled, "version": self.version, "settings": self.settings}


def foreign_fields(name: str | None) -> tuple[str, ...]:
    """The settings another domain keeps (remediation's cluster settings), less its on/off switch."""
    if name is None:
        return ()
    return tuple(f for f in SETTINGS_FROM[name].model_fields if f != OWN_SWITCH)


def _state(addon: Addon, cluster: Cluster, row: ClusterAddon | None, foreign: Any) -> State:
    version = addon.version(row.version) if row else addon.latest
    settings = version.defaults() | (dict(row.settings) if row else {})
    supported = addon.supports(cluster.orchestrator)
    enabled = row.enabled if row else addon.default
    if foreign is not None:
        dumped = foreign.model_dump(mode="json")
        settings |= {f: dumped[f] for f in foreign_fields(version.settings_from)}
        enabled = foreign.enabled
        when = foreign.updated_at
        who = foreign.updated_by
    else:
        when, who = (row.updated_at, row.updated_by) if row else (None, None)
    return State(addon.name, version.number, enabled and supported, settings, supported, who, when, row)


def read_states(session: Session, clusters: list[Cluster]) -> dict[int, dict[str, State]]:
    """Every catalog add-on's state on each of `clusters` (already scoped by the caller): one query for
    the add-on rows and one per domain that keeps settings of its own."""
    ids = [c.id for c in clusters]
    rows = {
        (r.cluster_id, r.addon): r
        for r in session.scalars(select(ClusterAddon).where(ClusterAddon.cluster_id.in_(ids)))
    }
    foreign = {"remediation": remediation.settings_of_clusters(session, clusters)}
    states: dict[int, dict[str, State]] = {}
    for cluster in clusters:
        states[cluster.id] = {}
        for addon in catalog().values():
            row = rows.get((cluster.id, addon.name))
            source = (addon.version(row.version) if row else addon.latest).settings_from
            theirs = foreign[source][cluster.id] if source else None
            states[cluster.id][addon.name] = _state(addon, cluster, row, theirs)
    return states
