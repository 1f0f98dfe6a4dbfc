"""Route: walk the routing tree (Alertmanager semantics), apply suppressions, and arm group timers.

Suppressed incidents (decommissioned cluster, node under remediation, silence, maintenance window,
muted by a wider incident) are recorded with their reason, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from fleetops.alerts import models
from fleetops.alerts.choices import Disposition, IncidentStatus, Priority
from fleetops.alerts.context import Context
from fleetops.alerts.incidents import record
from fleetops.alerts.policy import P0_MAX_GROUP_WAIT_S, Route, RoutingTree, parse_matchers
from fleetops.flow import Incident

DECOMMISSIONED_CLUSTERS = ("decommissioning", "decommissioned")
REMEDIATION_NODE_STATES = ("repair", "rma", "draining", "decommissioned")


@dataclass(frozen=True)
class Match:
    """One receiver an incident goes to, with the effective timers and the route path that chose it."""

    receiver: str
    path: str
    group_by: tuple[str, ...]
    group_wait: float
    group_interval: float
    repeat_interval: float


def _inherit(parent: Match, node: Route, path: str) -> Match:
    return Match(
        receiver=node.receiver or parent.receiver,
        path=path,
        group_by=tuple(node.group_by) if node.group_by is not None else parent.group_by,
        group_wait=node.group_wait if node.group_wait is not None else parent.group_wait,
        group_interval=node.group_interval if node.group_interval is not None else parent.group_interval,
        repeat_interval=node.repeat_interval if node.repeat_interval is not None else parent.repeat_interval,
    )


def _descend(node: Route, here: Match, labels: dict[str, str]) -> list[Match]:
    found: list[Match] = []
    for i, child in enumerate(node.routes):
        if all(m.matches(labels) for m in parse_matchers(child.matchers)):
            match = _inherit(here, child, f"{here.path}.routes[{i}]")
            found += _descend(child, match, labels) or [match]
            if not child.continue_:
                break
    return found


def matches(tree: RoutingTree, labels: dict[str, str]) -> list[Match]:
    """Where an incident with these labels goes: the deepest matching routes, root if none matched."""
    root = tree.route
    here = Match(
        receiver=root.receiver or "",
        path="root",
        group_by=tuple(root.group_by or ("incident",)),
        group_wait=root.group_wait if root.group_wait is not None else 30.0,
        group_interval=root.group_interval if root.group_interval is not None else 300.0,
        repeat_interval=root.repeat_interval if root.repeat_interval is not None else 14400.0,
    )
    return _descend(root, here, labels) or [here]


def suppression(incident: Incident, ctx: Context, silences: list[models.Silence]) -> tuple[str, str] | None:
    """(disposition, reason) when the incident must not notify anyone, else None."""
    labels = incident.labels
    if labels.get("cluster_state") in DECOMMISSIONED_CLUSTERS:
        return Disposition.SUPPRESSED.value, f"cluster {labels.get('cluster')} is {labels['cluster_state']}"
    if labels.get("node_state") in REMEDIATION_NODE_STATES:
        return (
            Disposition.SUPPRESSED.value,
            f"node {labels.get('node')} is under remediation ({labels['node_state']})",
        )
    if incident.muted_by:
        return Disposition.INHIBITED.value, f"muted by wider incident {incident.muted_by}"
    for silence in silences:
        if all(m.matches(labels) for m in parse_matchers(silence.matchers)):
            what = "maintenance window" if silence.kind == "maintenance" else "silence"
            return (
                Disposition.SUPPRESSED.value,
                f"{what} #{silence.id}: {silence.comment or ', '.join(silence.matchers)}",
            )
    return None


def active_silences(ctx: Context) -> list[models.Silence]:
    table = models.Silence
    return list(ctx.session.scalars(select(table).where(table.starts_at <= ctx.now, table.ends_at > ctx.now)))


def _group_key(match: Match, labels: dict[str, str]) -> str:
    return match.receiver + "|" + ",".join(f"{k}={labels.get(k, '')}" for k in match.group_by)


def arm(ctx: Context, match: Match, incident: Incident) -> None:
    """Put the incident in its group and set when the group flushes, as Alertmanager's dispatcher does."""
    key = _group_key(match, incident.labels)
    group = ctx.session.scalar(select(models.NotificationGroup).where(models.NotificationGroup.key == key))
    wait = match.group_wait
    if incident.priority == Priority.P0.value:
        wait = min(wait, P0_MAX_GROUP_WAIT_S)
    if group is None:
        group = models.NotificationGroup(
            key=key,
            receiver=match.receiver,
            incident_ids=[],
            group_wait_s=wait,
            group_interval_s=match.group_interval,
            repeat_interval_s=match.repeat_interval,
            created_at=ctx.now,
            flush_at=ctx.now + timedelta(seconds=wait),
        )
        ctx.session.add(group)
    if incident.incident_id is not None and incident.incident_id not in group.incident_ids:
        group.incident_ids = [*group.incident_ids, incident.incident_id]
    if group.last_flushed_at is not None:
        # a change is told at the next group_interval, not held until the repeat
        soon = max(group.last_flushed_at + timedelta(seconds=group.group_interval_s), ctx.now)
        group.flush_at = min(group.flush_at, soon) if group.flush_at else soon
    elif group.flush_at is None:
        group.flush_at = ctx.now + timedelta(seconds=wait)


def run(incidents: list[Incident], ctx: Context) -> list[Incident]:
    """Pass on the incidents that will notify; record for every incident where it goes, or why not."""
    silences = active_silences(ctx)
    ids = [i.incident_id for i in incidents]
    rows = {r.id: r for r in ctx.session.scalars(select(models.Incident).where(models.Incident.id.in_(ids)))}
    passed = []
    for incident in incidents:
        row = rows[incident.incident_id or 0]
        if incident.status == IncidentStatus.MERGED.value:
            ctx.stop(incident, f"merged into incident #{row.merged_into_id}", "merged")
            if row.first_notified_at is not None:
                # its page, forward and ticket are out there: its groups close them, naming the wider one
                for match in matches(ctx.routes, incident.labels):
                    arm(ctx, match, incident)
            continue
        stopped = suppression(incident, ctx, silences)
        found = [] if stopped else matches(ctx.routes, incident.labels)
        disposition, reason = stopped or (
            Disposition.PENDING.value,
            "; ".join(f"{m.receiver} via {m.path}" for m in found),
        )
        if (row.disposition, row.reason) != (disposition, reason):
            record(ctx, row, "disposition", row.disposition, disposition, reason)
        row.disposition, row.reason = disposition, reason
        if stopped:
            ctx.stop(incident, reason, f"suppressed:{reason.split(' ')[0]}")
            continue
        row.receivers = sorted({m.receiver for m in found} | set(row.receivers))
        for match in found:
            arm(ctx, match, incident)
        passed.append(incident)
    return passed
