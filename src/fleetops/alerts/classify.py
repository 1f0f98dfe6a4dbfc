"""Classify: P0..P3. P0 pages a human, so it is reserved for a system down or a cluster-wide degradation.

A node or GPU incident is never P0, whatever its alerts say: that guard is the page-volume goal.
"""

from __future__ import annotations

from sqlalchemy import select

from fleetops.alerts import models
from fleetops.alerts.choices import IncidentStatus, Priority, Scope
from fleetops.alerts.context import Context
from fleetops.alerts.incidents import record
from fleetops.alerts.policy import Classification
from fleetops.flow import Incident

CUSTOMER_OWNERS = ("customer", "application")


def priority_of(incident: Incident, rules: Classification) -> tuple[Priority, str]:
    """The priority and the sentence that justifies it (shown by `explain` and `routes test`)."""
    if incident.scope == Scope.FLEET:
        why = f"fleet-wide: {incident.node_count} nodes of several clusters at once, one cause above them"
        return Priority.P0, why
    if incident.scope == Scope.CLUSTER and incident.system_down:
        threshold = rules.cluster_share(incident.labels.get("cluster", ""))
        if incident.share >= threshold:
            share = f"{incident.share:.0%} of the cluster >= {threshold:.0%}"
            why = f"cluster-wide: {incident.node_count} nodes = {share}"
        else:
            why = f"system down: {incident.labels.get('alertname', 'a cluster-down check')} is a P0 check"
        return Priority.P0, why
    if incident.owner in CUSTOMER_OWNERS:
        return Priority(rules.customer_priority), f"owner {incident.owner}: the customer acts, no page"
    if incident.scope == Scope.RACK:
        return Priority(
            rules.rack_priority
        ), f"rack outage on {incident.node_count} nodes, below the cluster threshold"
    if incident.scope == Scope.CLUSTER:
        return Priority(rules.node_priority), "cluster-level alert that is not a P0 check"
    if incident.scope == Scope.TEAM:
        return Priority(rules.node_priority), "about no machine (a vendor, a feed): its team's, never a page"
    return Priority(rules.node_priority), f"{incident.scope} fault: a single node or GPU is never P0"


def run(incidents: list[Incident], ctx: Context) -> list[Incident]:
    """Set each incident's priority, recording every change of it with the reason."""
    ids = [i.incident_id for i in incidents if i.incident_id is not None]
    rows = {r.id: r for r in ctx.session.scalars(select(models.Incident).where(models.Incident.id.in_(ids)))}
    for incident in incidents:
        row = rows.get(incident.incident_id or 0)
        if row is not None and incident.status != IncidentStatus.OPEN.value:
            # a closing incident keeps the priority it was told under, so its resolve reaches the same people
            incident.priority = incident.labels["priority"] = row.priority
            continue
        priority, why = priority_of(incident, ctx.rules.classification)
        if incident.scope in (Scope.NODE, Scope.GPU) and priority is Priority.P0:
            raise AssertionError(f"incident {incident.key}: a node fault classified P0")
        incident.priority, incident.labels["priority"] = priority.value, priority.value
        incident.reasons.append(why)
        if row is not None and row.priority != priority.value:
            record(ctx, row, "priority", row.priority, priority.value, why)
            row.priority = priority.value
    return incidents
