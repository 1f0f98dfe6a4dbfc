"""What the soak's invariants and measures read: the control plane's records (runs and their steps, findings,
incidents, the outbox, node states) and the outside world's (what each receiver accepted, the tickets the
supplier worked, the pages the on-call got), gathered at one instant into plain rows.

The checkers (`sim.invariants`) and the measures (`sim.measures`) are pure functions of an `Evidence`, so
each can be shown to catch a violation planted in hand-made rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from fleetops.alerts.models import Incident, Outbox
from fleetops.db.session import Database
from fleetops.deploy import fsm as deploy_fsm
from fleetops.deploy.models import NodeBringup
from fleetops.health.models import HealthChange, HealthFinding
from fleetops.inventory.models import Node
from fleetops.inventory.placement import placements
from fleetops.remediation.models import RemediationFault, RemediationRun, RemediationStep
from fleetops.remediation.policy import Policy, default_policy
from fleetops.remediation.safety import Limits
from fleetops.sim.control_plane import Receipt
from fleetops.sim.scenario import TrueFault

R = RemediationRun
SYSTEM_ACTORS = ("system:", "fleetops")  # the control plane's own actors; anyone else is a person


@dataclass(frozen=True)
class Ticket:
    """A ticket to a supplier: a remediation RMA/supplier ticket, or an alert incident's Jira issue."""

    key: str
    path: str  # "remediation" or "alerts"
    hosts: frozenset[str]
    opened_at: datetime
    closed_at: datetime | None
    scope: str = "node"  # an alert ticket's incident scope: node, gpu, rack or cluster


@dataclass
class Evidence:
    start: datetime
    now: datetime
    runs: list[dict[str, Any]] = field(default_factory=list)
    staff_steps: list[dict[str, Any]] = field(default_factory=list)  # steps by a person (not the system)
    handovers: dict[int, datetime] = field(default_factory=dict)  # run → when its ticket was opened
    taken_back: dict[int, datetime] = field(default_factory=dict)  # run → when it last left `escalated`
    run_faults: list[dict[str, Any]] = field(default_factory=list)
    open_findings: list[dict[str, Any]] = field(default_factory=list)
    nodes: dict[int, dict[str, Any]] = field(default_factory=dict)  # id → hostname, state, rack, cluster...
    baseline: dict[int, str] = field(default_factory=dict)  # node id → inventory state at the start
    scope_sizes: Counter[tuple[str, int]] = field(default_factory=Counter)  # (cluster|supplier, id) → nodes
    bringing_up: set[int] = field(default_factory=set)  # nodes with a bring-up in progress
    incidents: dict[int, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    jira_labels: Counter[str] = field(default_factory=Counter)  # issues per incident label in Jira
    allowed_duplicates: int = 0  # sends whose outcome a killed worker never wrote (at least once)
    drained: set[str] = field(default_factory=set)  # hosts drained in the scheduler
    tickets: list[Ticket] = field(default_factory=list)
    remediation_pages: list[tuple[str, datetime]] = field(default_factory=list)
    truth: list[TrueFault] = field(default_factory=list)
    health_down: list[tuple[int, datetime, datetime | None]] = field(default_factory=list)  # node intervals
    gpus_per_node: dict[int, int] = field(default_factory=dict)
    policy: Policy = field(default_factory=default_policy)
    limits: Limits = field(default_factory=Limits)
    sla_s: float = 4 * 3600

    def hostname(self, node_id: int) -> str:
        return str(self.nodes.get(node_id, {}).get("hostname", node_id))

    def node_id(self, hostname: str) -> int | None:
        return next((i for i, n in self.nodes.items() if n["hostname"] == hostname), None)

    def hosts_of_incident(self, incident_id: int) -> frozenset[str]:
        incident = self.incidents.get(incident_id)
        if incident is None:
            return frozenset()
        places = ((n["hostname"], n["rack"], n["cluster_id"]) for n in self.nodes.values())
        return incident_hosts(incident, places)


def incident_hosts(incident: dict[str, Any], places: Iterable[tuple[str, str, int | None]]) -> frozenset[str]:
    """The nodes an incident is about: its node, its rack's, its cluster's (or the fleet's), from its
    scope, labels and cluster id; `places` are (hostname, "site/rack", cluster id)."""
    labels, scope = incident["labels"], incident["scope"]
    if scope in ("node", "gpu") and labels.get("node"):
        return frozenset({labels["node"]})
    if scope == "rack":
        return frozenset(host for host, rack, _ in places if rack == labels.get("rack"))
    cluster = incident["cluster_id"]
    return frozenset(host for host, _, cluster_id in places if cluster is None or cluster_id == cluster)


_RUN_COLUMNS = (
    R.id,
    R.node_id,
    R.hostname,
    R.cluster_id,
    R.supplier_id,
    R.gpu_index,
    R.check,
    R.xid,
    R.rule,
    R.state,
    R.plan,
    R.rung,
    R.ticket,
    R.human,
    R.drained_by_us,
    R.fault_class,
    R.last_error,
    R.detected_at,
    R.quarantined_at,
    R.drained_at,
    R.acted_at,
    R.verified_at,
    R.finished_at,
    R.back_in_service_at,
    R.created_at,
)


def read_records(session: Any, evidence: Evidence) -> None:
    """The control plane's side: every row the checks and measures need, set-based."""
    rows = session.execute(select(*_RUN_COLUMNS).order_by(R.id))
    evidence.runs = [dict(r._mapping) | {"state": r.state.value} for r in rows]
    steps = session.execute(
        select(
            RemediationStep.run_id,
            RemediationStep.at,
            RemediationStep.actor,
            RemediationStep.action,
            RemediationStep.outcome,
            RemediationStep.detail,
            RemediationStep.from_state,
            RemediationStep.to_state,
        ).order_by(RemediationStep.id)
    )
    for step in steps:
        if not step.actor.startswith(SYSTEM_ACTORS):
            evidence.staff_steps.append(dict(step._mapping))
        if step.action in ("rma_ticket", "contact_supplier") and step.outcome == "ok":
            evidence.handovers.setdefault(step.run_id, step.at)
        if step.from_state == "escalated" and step.to_state != "escalated":
            evidence.taken_back[step.run_id] = step.at
    evidence.run_faults = [
        dict(r._mapping)
        for r in session.execute(
            select(
                RemediationFault.node_id,
                RemediationFault.gpu_index,
                RemediationFault.check,
                RemediationFault.xid,
                RemediationFault.seen_at,
                RemediationFault.run_id,
            )
        )
    ]
    evidence.open_findings = [
        dict(r._mapping)
        for r in session.execute(
            select(
                HealthFinding.id,
                HealthFinding.node_id,
                HealthFinding.check,
                HealthFinding.xid,
                HealthFinding.gpu_index,
                HealthFinding.severity,
                HealthFinding.opened_at,
            ).where(HealthFinding.resolved_at.is_(None))
        )
    ]
    _read_fleet(session, evidence)
    _read_alerts(session, evidence)
    _read_health_down(session, evidence)


def _read_fleet(session: Any, evidence: Evidence) -> None:
    for place in placements(session, session.scalars(select(Node.hostname))).values():
        evidence.nodes[place.node_id] = {
            "hostname": place.hostname,
            "state": place.state.value,
            "cluster_id": place.cluster_id,
            "rack": place.rack,
            "supplier_id": place.supplier_id,
        }
        for scope in place.scopes():
            evidence.scope_sizes[scope] += 1
    active = [s.value for s in deploy_fsm.ACTIVE]
    evidence.bringing_up = set(
        session.scalars(select(NodeBringup.node_id).where(NodeBringup.state.in_(active)))
    )


def _read_alerts(session: Any, evidence: Evidence) -> None:
    incidents = session.execute(
        select(
            Incident.id,
            Incident.scope,
            Incident.priority,
            Incident.status,
            Incident.disposition,
            Incident.reason,
            Incident.labels,
            Incident.cluster_id,
            Incident.opened_at,
            Incident.first_notified_at,
        )
    )
    evidence.incidents = {row.id: dict(row._mapping) for row in incidents}
    evidence.outbox = [
        dict(r._mapping)
        for r in session.execute(
            select(
                Outbox.id,
                Outbox.incident_id,
                Outbox.kind,
                Outbox.dedup_key,
                Outbox.action,
                Outbox.payload,
                Outbox.status,
                Outbox.attempts,
                Outbox.next_attempt_at,
                Outbox.created_at,
                Outbox.last_error,
            ).order_by(Outbox.id)
        )
    ]


def _read_health_down(session: Any, evidence: Evidence) -> None:
    """Node-level health changes into intervals of unhealthy or unknown (GPU-hours lost)."""
    changes = session.execute(
        select(HealthChange.node_id, HealthChange.at, HealthChange.to_state)
        .where(HealthChange.gpu_id.is_(None))
        .order_by(HealthChange.node_id, HealthChange.at, HealthChange.id)
    )
    down: dict[int, datetime] = {}
    for node_id, at, to_state in changes:
        if to_state in ("unhealthy", "unknown"):
            down.setdefault(node_id, at)
        elif node_id in down:
            evidence.health_down.append((node_id, down.pop(node_id), at))
    evidence.health_down += [(node_id, since, None) for node_id, since in down.items()]


def gather(database: Database, evidence: Evidence) -> Evidence:
    """Fill `evidence` (already holding the outside world's side) with the records, in one transaction."""
    with database.transaction() as session:
        read_records(session, evidence)
    return evidence


def add_tickets(
    evidence: Evidence, remediation: list[tuple[str, str, datetime]], closed: dict[str, datetime]
) -> None:
    """Both kinds of ticket a supplier gets: remediation's (opened by a run, closed by the supplier) and the
    alert path's Jira issues (one per incident label, closed by the supplier or by fleetops when folded)."""
    for key, host, opened in remediation:
        evidence.tickets.append(Ticket(key, "remediation", frozenset({host}), opened, closed.get(key)))
    created: dict[str, datetime] = {}
    resolved: dict[str, datetime] = {}
    for receipt in evidence.receipts:  # fleetops closes a ticket folded into a wider incident's
        if receipt.kind == "jira":
            (created if receipt.action == "trigger" else resolved).setdefault(receipt.key, receipt.at)
    for label, at in closed.items():  # the supplier closes the rest after their check
        resolved[label] = min(at, resolved.get(label, at))
    for label, opened in created.items():
        incident = int(label.rsplit("-", 1)[1]) if label.rsplit("-", 1)[1].isdigit() else -1
        hosts = evidence.hosts_of_incident(incident)
        scope = evidence.incidents.get(incident, {}).get("scope", "node")
        evidence.tickets.append(Ticket(label, "alerts", hosts, opened, resolved.get(label), scope))


def attribute(evidence: Evidence) -> dict[int, list[Ticket]]:
    """Each ticket to the one real fault it is about: a node's ticket to the fault of that node open when it
    was opened (a correlated one covering the node if it had none of its own); a rack's or cluster's
    ticket to the narrowest correlated fault over its nodes. A ticket about no real fault is nobody's."""
    owned: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in evidence.tickets:
        live = [
            f
            for f in evidence.truth
            if f.at <= ticket.opened_at <= (f.ended_at or evidence.now) and ticket.hosts & set(f.hosts)
        ]
        if ticket.scope in ("node", "gpu"):
            live.sort(key=lambda f: (f.correlated, len(f.hosts)))
        else:
            live = sorted((f for f in live if f.correlated), key=lambda f: len(f.hosts))
        if live:
            owned[live[0].id].append(ticket)
    return owned


def pagerduty_pages(evidence: Evidence) -> list[tuple[str, datetime]]:
    """PagerDuty incidents opened: a trigger for a dedup key that is not open (repeats do not page)."""
    open_keys: set[str] = set()
    pages = []
    for receipt in evidence.receipts:
        if receipt.kind != "pagerduty":
            continue
        if receipt.action == "trigger" and receipt.key not in open_keys:
            open_keys.add(receipt.key)
            pages.append((receipt.key, receipt.at))
        elif receipt.action == "resolve":
            open_keys.discard(receipt.key)
    return pages
