"""Correlate: alerts that share a cause become one incident, chosen from the inventory topology.

Within a cluster, infrastructure alerts (owner hardware/driver/unknown) widen: enough nodes of one rack
make a rack incident, one cause on a large enough share of the cluster makes a cluster incident.
Everything else is a node incident per owner. A node incident beneath an open rack or cluster incident
is muted by it, as Alertmanager's inhibit rules mute the symptoms of an infrastructure failure (the
reason is recorded).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, func, null, select, update

from fleetops.alerts import models
from fleetops.alerts.choices import IncidentStatus, Scope
from fleetops.alerts.context import Context
from fleetops.alerts.incidents import Group, apply_groups
from fleetops.db.bulk import chunks
from fleetops.flow import Alert, Incident
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Node

INCIDENT_LABELS = ("cluster", "cluster_state", "supplier", "customer", "site")
NODE_LABELS = ("rack", "pod", "node", "node_state")
FLEET_KEY = "fleet:infrastructure"

ALERTS = cast(Table, models.Alert.__table__)  # Core table for executemany statements


def _firing_rows(ctx: Context, alerts: list[Alert]) -> list[Any]:
    """Every firing alert of the clusters (and unclustered nodes) this batch touched."""
    table = models.Alert
    cols = (
        table.id,
        table.node_id,
        table.rack_id,
        table.cluster_id,
        table.owner,
        table.alertname,
        table.labels["xid"].as_string().label("xid"),
        table.incident_id,
    )
    clusters = sorted({a.cluster_id for a in alerts if a.cluster_id is not None})
    loose = sorted({a.node_id for a in alerts if a.cluster_id is None and a.node_id is not None})
    teams = sorted({a.labels["team"] for a in alerts if a.cluster_id is None and a.node_id is None})
    rows: list[Any] = []
    firing = table.status == "firing"
    if teams:  # only a team-placed alert's row reads its team label: not one JSON read per firing alert
        unplaced = (table.cluster_id.is_(None), table.node_id.is_(None))
        team = table.labels["team"].as_string()
        rows += ctx.session.execute(
            select(*cols, team.label("team")).where(firing, *unplaced, team.in_(teams))
        )
    cols += (null().label("team"),)
    for part in chunks(clusters):
        rows += ctx.session.execute(select(*cols).where(firing, table.cluster_id.in_(part)))
    for part in chunks(loose):
        rows += ctx.session.execute(
            select(*cols).where(firing, table.cluster_id.is_(None), table.node_id.in_(part))
        )
    return rows


def _rack_sizes(ctx: Context, rows: list[Any]) -> None:
    missing = sorted({r.rack_id for r in rows if r.rack_id is not None} - set(ctx.rack_sizes))
    if missing:
        stmt = select(Node.rack_id, func.count()).where(
            Node.rack_id.in_(missing), Node.state != NodeState.DECOMMISSIONED
        )
        ctx.rack_sizes.update(dict(ctx.session.execute(stmt.group_by(Node.rack_id)).all()))


def _cause(row: Any) -> str:
    """What broke, as widening compares it: the check, and for an XID its number (48 is not 79)."""
    return f"{row.alertname} {row.xid}" if row.xid else str(row.alertname)


def _wide_keys(ctx: Context, cluster_id: int, rows: list[Any]) -> tuple[dict[int, str], float, bool]:
    """Which infrastructure alerts of one cluster widen to a rack or the cluster: alert id → key.

    The cluster widens on a system-down check, or on one cause seen on the cluster's P0 share of its
    nodes: unrelated faults that only add up to that share are each a node's own, not a degradation.
    """
    rules, cluster = ctx.rules, ctx.clusters.get(cluster_id, {})
    size, key = cluster.get("nodes") or 0, f"cluster:{cluster_id}:infrastructure"
    p0_checks = set(rules.classification.p0_checks)
    if any(r.node_id is None and r.alertname in p0_checks for r in rows):
        nodes = {r.node_id for r in rows if r.node_id is not None}
        return {r.id: key for r in rows}, len(nodes) / size if size else 0.0, True
    by_cause: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        if r.node_id is not None:
            by_cause[_cause(r)].add(r.node_id)
    threshold = rules.classification.cluster_share(cluster.get("cluster", str(cluster_id)))
    wide = {
        cause
        for cause, nodes in by_cause.items()
        if size and len(nodes) / size >= threshold and len(nodes) >= rules.correlation.cluster.min_nodes
    }
    keys = {r.id: key for r in rows if _cause(r) in wide}
    nodes = set().union(*(by_cause[cause] for cause in wide))
    keys |= _rack_keys(ctx, cluster_id, [r for r in rows if r.id not in keys])
    return keys, len(nodes) / size if size else 0.0, bool(wide)


def _rack_keys(ctx: Context, cluster_id: int, rows: list[Any]) -> dict[int, str]:
    """Enough nodes of one rack, whatever their symptoms (a ToR or PDU shows many), make a rack incident."""
    by_rack: dict[int, set[int]] = defaultdict(set)
    for r in rows:
        if r.rack_id is not None:
            by_rack[r.rack_id].add(r.node_id)
    rack_rule, keys = ctx.rules.correlation.rack, {}
    for r in rows:
        hit = by_rack.get(r.rack_id, set())
        size = ctx.rack_sizes.get(r.rack_id, 0) or 1
        if len(hit) >= rack_rule.min_nodes and len(hit) / size >= rack_rule.min_share:
            keys[r.id] = f"rack:{cluster_id}:{r.rack_id}:infrastructure"
    return keys


def _group(ctx: Context, rows: list[Any]) -> dict[str, Group]:
    infra = set(ctx.rules.correlation.infrastructure_owners)
    groups: dict[str, Group] = {}
    by_cluster: dict[int | None, list[Any]] = defaultdict(list)
    for r in rows:
        by_cluster[r.cluster_id].append(r)
    for cluster_id, members in by_cluster.items():
        wide: dict[int, str] = {}
        share, down = 0.0, False
        if cluster_id is not None:
            wide, share, down = _wide_keys(ctx, cluster_id, [r for r in members if r.owner in infra])
        for r in members:
            key = wide.get(r.id) or _narrow_key(r)
            if key not in groups:
                scope = key.split(":", 1)[0]
                owner = "hardware" if r.id in wide else r.owner
                groups[key] = Group(key, scope, key, owner, cluster_id, representative=r.id)
            group = groups[key]
            scope = group.scope
            group.alert_ids.append(r.id)
            group.names[r.alertname] += 1
            if r.node_id is not None:
                group.nodes.add(r.node_id)
            group.share, group.system_down = (share, down) if scope == Scope.CLUSTER else (group.share, False)
    return _fleet_wide(ctx, groups)


def _fleet_wide(ctx: Context, groups: dict[str, Group]) -> dict[str, Group]:
    """Clusters widening at once have one cause above them (a network partition, the control plane down):
    one fleet incident, one page, one ticket to our own people, instead of one per cluster. A cluster that
    widens while that incident is open joins it."""
    wide = [k for k, g in groups.items() if g.scope == Scope.CLUSTER and g.cluster_id is not None]
    open_fleet = ctx.session.scalar(
        select(models.Incident.id).where(
            models.Incident.key == FLEET_KEY, models.Incident.status == IncidentStatus.OPEN.value
        )
    )
    if len(wide) < 2 and not (wide and open_fleet):
        return groups
    members = [groups.pop(k) for k in wide]
    fleet = Group(
        FLEET_KEY, Scope.FLEET.value, "fleet", "unknown", None, representative=members[0].representative
    )
    for member in members:
        fleet.alert_ids += member.alert_ids
        fleet.nodes |= member.nodes
        fleet.names.update(member.names)
    fleet.system_down = True
    groups[FLEET_KEY] = fleet
    return groups


def _narrow_key(row: Any) -> str:
    if row.node_id is not None:
        return f"node:{row.node_id}:{row.owner}"
    if row.cluster_id is None:
        return f"team:{row.team}:{row.alertname}"
    return f"cluster:{row.cluster_id}:{row.owner}:{row.alertname}"


def _describe(ctx: Context, groups: dict[str, Group]) -> None:
    """Labels and a readable subject per group, from one representative alert (one select, not per row)."""
    wanted = sorted(g.representative for g in groups.values())
    found: dict[int, dict[str, Any]] = {}
    for part in chunks(wanted):
        stmt = select(models.Alert.id, models.Alert.labels).where(models.Alert.id.in_(part))
        found.update(dict(ctx.session.execute(stmt).all()))
    subject_label = {"node": "node", "rack": "rack", "cluster": "cluster", "fleet": "fleet", "team": "team"}
    for group in groups.values():
        labels = found.get(group.representative, {})
        # kept on the incident row, so its closing message is routed on the same labels as its trigger
        group.labels = _labels_of(labels, group.scope) | {"alertname": group.names.most_common(1)[0][0]}
        group.subject = str(labels.get(subject_label.get(group.scope, "node"), group.key))


def _labels_of(labels: dict[str, Any], scope: str) -> dict[str, str]:
    if scope == Scope.FLEET:
        return {}  # not one cluster's, supplier's or customer's
    if scope == Scope.TEAM:
        return {"team": str(labels["team"])}  # routed by it: the routing tree's `team` matcher
    keep = INCIDENT_LABELS + (
        NODE_LABELS if scope == Scope.NODE else ("rack", "pod") if scope == Scope.RACK else ()
    )
    return {k: str(labels[k]) for k in keep if k in labels}


def _open_incidents(ctx: Context, keys: list[str], ids: set[int]) -> list[models.Incident]:
    table = models.Incident
    found: dict[int, models.Incident] = {}
    for part in chunks(keys):
        stmt = select(table).where(table.status == IncidentStatus.OPEN, table.key.in_(part))
        found.update({i.id: i for i in ctx.session.scalars(stmt)})
    rest = sorted(ids - set(found))
    for part in chunks(rest):
        found.update({i.id: i for i in ctx.session.scalars(select(table).where(table.id.in_(part)))})
    return list(found.values())


def _previous_ids(ctx: Context, alerts: list[Alert], rows: list[Any]) -> set[int]:
    ids = {r.incident_id for r in rows if r.incident_id is not None}
    resolved = [a.alert_id for a in alerts if not a.firing and a.alert_id is not None]
    for part in chunks(resolved):
        stmt = select(models.Alert.incident_id).where(models.Alert.id.in_(part))
        ids.update(i for i in ctx.session.scalars(stmt) if i is not None)
    return ids


def run(alerts: list[Alert], ctx: Context) -> list[Incident]:
    """Regroup the touched clusters' firing alerts into incidents; pass on every incident that changed."""
    rows = _firing_rows(ctx, alerts)
    _rack_sizes(ctx, rows)
    groups = _group(ctx, rows)
    _describe(ctx, groups)
    existing = _open_incidents(ctx, sorted(groups), _previous_ids(ctx, alerts, rows))
    changed, moves = apply_groups(ctx, groups, existing)
    _move(ctx, {r.id: r.incident_id for r in rows}, moves)
    return changed


def _move(ctx: Context, old: dict[int, int | None], moves: dict[int, int]) -> None:
    """Point alerts at their incident: one UPDATE ... WHERE id IN (...) per incident and chunk."""
    by_incident: dict[int, list[int]] = defaultdict(list)
    for alert_id, incident_id in moves.items():
        if old.get(alert_id) != incident_id:
            by_incident[incident_id].append(alert_id)
    table = ALERTS
    for incident_id, alert_ids in by_incident.items():
        for part in chunks(alert_ids):
            ctx.session.execute(update(table).where(table.c.id.in_(part)).values(incident_id=incident_id))
