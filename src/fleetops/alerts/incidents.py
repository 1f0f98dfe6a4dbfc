"""Incident bookkeeping for correlate: open, widen, merge and resolve incidents, each change a row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from fleetops.alerts import fsm, models
from fleetops.alerts.choices import Disposition, IncidentStatus, Scope
from fleetops.alerts.context import Context
from fleetops.flow import Incident

WIDE = (Scope.RACK, Scope.CLUSTER, Scope.FLEET)


@dataclass
class Group:
    key: str
    scope: str
    subject: str
    owner: str
    cluster_id: int | None
    representative: int = 0
    alert_ids: list[int] = field(default_factory=list)
    nodes: set[int] = field(default_factory=set)
    names: Counter[str] = field(default_factory=Counter)
    labels: dict[str, str] = field(default_factory=dict)
    share: float = 0.0
    system_down: bool = False


def record(
    ctx: Context, incident: models.Incident, field_name: str, old: str | None, new: str, why: str
) -> None:
    """Every incident state change is a row: who, when, from, to and why."""
    ctx.session.add(
        models.IncidentEvent(
            incident_id=incident.id,
            at=ctx.now,
            actor=ctx.actor,
            field=field_name,
            from_value=old,
            to_value=new,
            reason=why,
        )
    )


def move(ctx: Context, row: models.Incident, new: IncidentStatus, why: str) -> None:
    """The one way an incident's status changes: checked against `fsm.TRANSITIONS`, recorded, set."""
    fsm.check(row, new)
    record(ctx, row, "status", row.status, new.value, why)
    row.status, row.updated_at = new.value, ctx.now
    row.resolved_at = ctx.now if new is IncidentStatus.RESOLVED else None


def _open(ctx: Context, group: Group) -> models.Incident:
    row = models.Incident(
        key=group.key,
        scope=group.scope,
        subject=group.subject,
        owner=group.owner,
        status=IncidentStatus.OPEN.value,
        priority="P3",
        cluster_id=group.cluster_id,
        labels=dict(group.labels),
        disposition=Disposition.PENDING.value,
        reason="",
        receivers=[],
        alert_count=0,
        node_count=0,
        opened_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(row)
    return row


def _recently_resolved(ctx: Context, keys: list[str]) -> dict[str, models.Incident]:
    """The latest incident of each key resolved within the flap window."""
    window = ctx.rules.correlation.flap_window_s
    if not keys or window <= 0:
        return {}
    since = ctx.now - timedelta(seconds=window)
    stmt = (
        select(models.Incident)
        .where(
            models.Incident.key.in_(keys),
            models.Incident.status == IncidentStatus.RESOLVED.value,
            models.Incident.resolved_at >= since,
        )
        .order_by(models.Incident.resolved_at)
    )
    return {row.key: row for row in ctx.session.scalars(stmt)}


def _reopen(ctx: Context, row: models.Incident) -> models.Incident:
    """The same fault is back soon after it cleared: the same incident, so the same page and ticket."""
    gone = (ctx.now - row.resolved_at).total_seconds() if row.resolved_at else 0
    move(ctx, row, IncidentStatus.OPEN, f"the fault is back {gone:.0f} s after it cleared")
    return row


def _close(
    ctx: Context,
    row: models.Incident,
    alert_home: dict[int, int],
    members: list[int],
    by_id: dict[int, models.Incident],
) -> None:
    """An incident without firing alerts was either absorbed by a wider one or has recovered."""
    homes = {alert_home[a] for a in members if a in alert_home}
    if homes:
        row.merged_into_id = min(homes)
        move(ctx, row, IncidentStatus.MERGED, f"merged into incident #{min(homes)}")
        # the wider incident's own history says what it absorbed, and that the narrower tickets close
        told = " (its messages are closed, naming this one)" if row.first_notified_at else ""
        record(
            ctx, by_id[min(homes)], "absorbed", None, f"#{row.id}", f"{row.scope} incident #{row.id}{told}"
        )
    else:
        move(ctx, row, IncidentStatus.RESOLVED, "all its alerts resolved")


def _envelope(row: models.Incident, group: Group | None) -> Incident:
    labels = {k: str(v) for k, v in row.labels.items()}
    labels |= {"incident": str(row.id), "scope": row.scope, "owner": row.owner}
    return Incident(
        key=row.key,
        scope=row.scope,
        subject=row.subject,
        owner=row.owner,
        status=row.status,
        labels=labels,
        node_count=row.node_count,
        alert_count=row.alert_count,
        share=group.share if group else 0.0,
        system_down=group.system_down if group else False,
        incident_id=row.id,
        priority=row.priority,
    )


def _mute(changed: list[Incident], groups: dict[str, Group], rows: dict[str, models.Incident]) -> None:
    """A node incident beneath an open rack or cluster incident of its cluster is muted by it."""
    covering: dict[int, str] = {}
    for group in groups.values():
        if group.scope in WIDE:
            covering.update({node: group.key for node in group.nodes})
    for incident in changed:
        found = groups.get(incident.key)
        if found is None or found.scope in WIDE:
            continue
        group = found
        by = next((covering[n] for n in group.nodes if n in covering), None)
        if by is not None:
            incident.muted_by = f"#{rows[by].id} ({by})"


def apply_groups(
    ctx: Context, groups: dict[str, Group], existing: list[models.Incident]
) -> tuple[list[Incident], dict[int, int]]:
    """Make the incident rows match `groups`; return the changed incidents and alert id → incident id."""
    rows = {row.key: row for row in existing if row.status == IncidentStatus.OPEN.value}
    new_keys = [key for key in groups if key not in rows]
    back = _recently_resolved(ctx, new_keys)
    for key in new_keys:
        rows[key] = _reopen(ctx, back[key]) if key in back else _open(ctx, groups[key])
    new_keys = [key for key in new_keys if key not in back]
    ctx.session.flush()
    homes: dict[int, int] = {}
    changed: list[Incident] = []
    for key, group in groups.items():
        row = rows[key]
        homes.update({alert_id: row.id for alert_id in group.alert_ids})
        counts = (len(group.alert_ids), len(group.nodes))
        if key in new_keys:
            record(
                ctx,
                row,
                "status",
                None,
                IncidentStatus.OPEN.value,
                f"{counts[0]} alerts on {counts[1]} nodes",
            )
        if key in new_keys or counts != (row.alert_count, row.node_count):
            row.alert_count, row.node_count, row.updated_at = counts[0], counts[1], ctx.now
            row.labels = dict(group.labels)
            changed.append(_envelope(row, group))
    members = _members(ctx, [r.id for r in existing if r.key not in groups])
    by_id = {row.id: row for row in rows.values()}
    for row in existing:
        if row.key not in groups and row.status == IncidentStatus.OPEN.value:
            _close(ctx, row, homes, members.get(row.id, []), by_id)
            changed.append(_envelope(row, None))
    _mute(changed, groups, rows)
    return changed, homes


def _members(ctx: Context, incident_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    if incident_ids:
        stmt = select(models.Alert.incident_id, models.Alert.id).where(
            models.Alert.incident_id.in_(incident_ids)
        )
        for incident_id, alert_id in ctx.session.execute(stmt):
            if incident_id is not None:
                found.setdefault(incident_id, []).append(alert_id)
    return found
