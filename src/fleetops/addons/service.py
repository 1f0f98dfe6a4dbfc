"""Add-on use-cases: a cluster's add-ons, a change (validated, migrated, audited with its diff) and
coverage across the fleet. Every change runs in the caller's one transaction: refused means unchanged.

Tenant isolation is in the query: a customer reads and changes only its own clusters' add-ons
(`fleetops.inventory.scope.visible`); anyone else's cluster is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.addons import pointer
from fleetops.addons.catalog import SETTINGS_FROM, addon, catalog
from fleetops.addons.diff import diff
from fleetops.addons.models import ClusterAddon
from fleetops.addons.states import State, foreign_fields, read_states
from fleetops.addons.upgrade import migrate
from fleetops.audit.service import Change, record
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.db.ids import as_id
from fleetops.errors import InvalidInput, NotFound
from fleetops.inventory.choices import ClusterState
from fleetops.inventory.models import Cluster
from fleetops.inventory.scope import visible
from fleetops.remediation import service as remediation


@dataclass(frozen=True)
class AddonChange:
    """What a request asks for; None keeps the current value. `settings` is merged key by key into the
    current settings (a key left out keeps its value), then the whole is checked against the schema."""

    enabled: bool | None = None
    version: str | None = None
    settings: dict[str, Any] | None = None


def scoped_clusters(session: Session, principal: Principal, names: list[str] | None = None) -> list[Cluster]:
    query = select(Cluster).order_by(Cluster.name)
    rule = visible("cluster", principal)
    if rule is not None:
        query = query.where(rule)
    if names is not None:
        query = query.where(Cluster.name.in_(names))
    return list(session.scalars(query))


def cluster(session: Session, principal: Principal, name: str) -> Cluster:
    found, cluster_id = scoped_clusters(session, principal, [name]), as_id(name)
    if not found and cluster_id is not None:
        rule = visible("cluster", principal)
        query = select(Cluster).where(Cluster.id == cluster_id)
        found = list(session.scalars(query if rule is None else query.where(rule)))
    if not found:
        raise NotFound(f"cluster {name}: no such cluster")
    return found[0]


def states_of(session: Session, principal: Principal, name: str) -> tuple[Cluster, dict[str, State]]:
    target = cluster(session, principal, name)
    return target, read_states(session, [target])[target.id]


def _conflicts(states: dict[str, State], changing: str) -> None:
    """Catalog `conflicts`: add-ons that must not both act on one cluster (two remediators). The pointer
    is the changed add-on's: its switch, or the setting that collides."""
    for state in states.values():
        for rule in addon(state.addon).conflicts:
            other = states.get(rule["addon"])
            if not (state.enabled and other and other.enabled):
                continue
            if pointer.get(state.settings, rule["path"]) is True:
                where = f"/settings{rule['path']}" if changing == state.addon else "/enabled"
                raise InvalidInput(
                    f"add-on {changing} at {where}: {state.addon} {rule['path']} conflicts with "
                    f"{other.addon}: {rule['reason']}",
                    pointer=where,
                )


def _proposed(target: Cluster, current: State, change: AddonChange) -> State:
    spec = addon(current.addon)
    version = change.version or current.version
    where = f"cluster {target.name}: add-on {spec.name} {version}"
    if current.row is None:  # never configured: any version installs fresh with its own defaults
        kept = foreign_fields(spec.version(version).settings_from)
        settings = spec.version(version).defaults() | {k: v for k, v in current.settings.items() if k in kept}
    else:
        settings = migrate(spec, current.version, version, current.settings)
    settings = {**settings, **(change.settings or {})}
    enabled = current.enabled if change.enabled is None else change.enabled
    if enabled and not spec.supports(target.orchestrator):
        supported = ", ".join(o.value for o in spec.orchestrators)
        raise InvalidInput(
            f"{where}: orchestrator {target.orchestrator.value} is not supported at /enabled "
            f"(supported: {supported})",
            pointer="/enabled",
        )
    spec.version(version).check(settings, where)
    return State(spec.name, version, enabled, settings, current.supported)


def _store_foreign(session: Session, principal: Principal, target: Cluster, new: State, source: str) -> None:
    fields = {f: new.settings[f] for f in foreign_fields(source) if f in new.settings}
    try:
        update = SETTINGS_FROM[source].model_validate({**fields, "enabled": new.enabled})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = pointer.pointer_of(("settings", *first["loc"]))
        raise InvalidInput(f"cluster {target.name}: add-on {new.addon}: {where}: {first['msg']}") from exc
    remediation.update_settings(session, principal, target.id, update)


def _store(session: Session, principal: Principal, target: Cluster, old: State, new: State) -> None:
    source = addon(new.addon).version(new.version).settings_from
    own = {k: v for k, v in new.settings.items() if k not in foreign_fields(source)}
    row = old.row or ClusterAddon(cluster_id=target.id, addon=new.addon)
    row.version, row.enabled, row.settings = new.version, new.enabled, own
    row.updated_by, row.updated_at = principal.actor, clock.now()
    session.add(row)
    if source is not None:
        _store_foreign(session, principal, target, new, source)
    session.flush()


def change(
    session: Session, principal: Principal, name: str, addon_name: str, request: AddonChange
) -> tuple[State, dict[str, list[Any]]]:
    """Apply one add-on change to a cluster the caller may change; returns the new state and its diff."""
    principal.require(Role.ADMIN, Role.OPERATOR, Role.CUSTOMER)
    addon(addon_name)
    target, states = states_of(session, principal, name)
    current = states[addon_name]
    new = _proposed(target, current, request)
    _conflicts({**states, addon_name: new}, addon_name)
    changes = diff(current.document(), new.document())
    if changes:
        _store(session, principal, target, current, new)
        key = f"{target.name}/{addon_name}"
        record(session, principal.actor, Change("addon.update", "cluster_addon", key, changes))
    return read_states(session, [target])[target.id][addon_name], changes


def coverage(session: Session) -> list[dict[str, Any]]:
    """Per add-on, how many active clusters run it: "remediation on X % of clusters" as a number."""
    active = list(session.scalars(select(Cluster).where(Cluster.state == ClusterState.ACTIVE)))
    states = read_states(session, active)
    out = []
    for name in catalog():
        on = sum(1 for c in active if states[c.id][name].enabled)
        share = round(100 * on / len(active), 2) if active else None
        out.append({"addon": name, "clusters": len(active), "enabled": on, "percent": share})
    return out
