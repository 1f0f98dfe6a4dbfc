"""The soak's invariants: what must hold at every instant of a fleet's life, each a pure function of the
records (`sim.evidence.Evidence`) returning its violations, each violation with a key (so one that lasts is
counted once across the hourly checks) and a sentence naming the record.

    one ticket per fault        at most one supplier ticket open at a time for one real fault
    one page per P0 incident    a PagerDuty page only for a P0 incident, and only once for it
    ladder caps                 no node remediated past the caps; no run past the top of the ladder
    every finding ends          resolved, handed to a named owner with a reason, or inside its SLA
    node state agrees           inventory state and the scheduler's drain follow the runs and rollouts
    outbox at least once        no message lost, none sent twice beyond what a killed worker allows
    capacity floor              no more nodes quarantined within the breaker's window than it allows
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetops.sim.evidence import Evidence, Ticket, attribute, pagerduty_pages

HELD = frozenset({"draining", "repair", "rma"})
OPEN_RUN = frozenset({"pending", "quarantined", "draining", "acting", "verifying", "escalated"})
WORKING = OPEN_RUN - {"escalated"}
STUCK_MESSAGE_S = 3600  # a pending message not sent for this long past its due time is lost


@dataclass(frozen=True)
class Violation:
    key: str
    detail: str


@dataclass(frozen=True)
class Invariant:
    name: str
    text: str
    check: Callable[[Evidence], list[Violation]]


@dataclass
class Tally:
    """An invariant's violations over a whole soak: distinct by key, a few kept as examples."""

    name: str
    text: str
    keys: set[str] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)

    def add(self, found: list[Violation], at: datetime) -> None:
        for violation in found:
            if violation.key not in self.keys:
                self.keys.add(violation.key)
                if len(self.examples) < 5:
                    self.examples.append(f"{at:%Y-%m-%d %H:%M} {violation.detail}")

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "text": self.text, "violations": len(self.keys), "examples": self.examples}


def _overlap(tickets: list[Ticket], now: datetime) -> int:
    """The most tickets open at one instant."""
    edges = sorted([(t.opened_at, 1) for t in tickets] + [(t.closed_at or now, -1) for t in tickets])
    most = open_now = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
        open_now += step
        most = max(most, open_now)
    return most


def one_ticket_per_fault(evidence: Evidence) -> list[Violation]:
    found = []
    owned = attribute(evidence)
    for fault in evidence.truth:
        tickets = owned.get(fault.id, [])
        if len(tickets) > 1 and _overlap(tickets, evidence.now) > 1:
            names = ", ".join(f"{t.path}:{t.key}" for t in tickets[:6])
            where = ", ".join(fault.hosts[:3]) + ("…" if len(fault.hosts) > 3 else "")
            found.append(
                Violation(
                    f"fault {fault.id}",
                    f"fault {fault.id} ({fault.name} on {where}): {len(tickets)} tickets, "
                    f"{_overlap(tickets, evidence.now)} open at once: {names}",
                )
            )
    return found


def one_page_per_p0(evidence: Evidence) -> list[Violation]:
    found = []
    per_incident: Counter[int] = Counter()
    for key, at in pagerduty_pages(evidence):
        incident_id = int(key.rsplit("-", 1)[1])
        per_incident[incident_id] += 1
        priority = evidence.incidents.get(incident_id, {}).get("priority")
        if priority != "P0":
            found.append(
                Violation(f"page {key} {at}", f"{key} paged at {at:%H:%M} for a {priority} incident")
            )
    for incident_id, pages in per_incident.items():
        if pages > 1:
            found.append(Violation(f"incident {incident_id}", f"incident {incident_id} paged {pages} times"))
    return found


def ladder_caps(evidence: Evidence) -> list[Violation]:
    """Re-derived from the runs: a run the caps should have sent straight to the supplier, or a rung past
    the top of the ladder."""
    caps, found = evidence.policy.caps, []
    counted = [r for r in evidence.runs if r["state"] != "cancelled" and not r["rule"].startswith("cap:")]
    by_node: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for run in counted:
        by_node[run["node_id"]].append(run)
    node_window = timedelta(seconds=caps.node_runs_window_s)
    for runs in by_node.values():
        for run in runs:
            before = [
                r for r in runs if r["id"] < run["id"] and r["created_at"] >= run["created_at"] - node_window
            ]
            if caps.node_runs_count and len(before) >= caps.node_runs_count:
                found.append(
                    Violation(
                        f"run {run['id']} node cap",
                        f"run {run['id']} on {run['hostname']}: {len(before)} runs in the "
                        f"{caps.node_runs_window_s / 86400:g} days before it, yet not capped ({run['rule']})",
                    )
                )
    found += _same_xid(evidence)
    top = len(evidence.policy.ladder) - 1
    found += [
        Violation(f"run {r['id']} rung", f"run {r['id']} on {r['hostname']} at rung {r['rung']} (top {top})")
        for r in evidence.runs
        if r["rung"] > top
    ]
    return found


def _same_xid(evidence: Evidence) -> list[Violation]:
    caps, found = evidence.policy.caps, list[Violation]()
    if not caps.same_xid_count:
        return found
    window = timedelta(seconds=caps.same_xid_window_s)
    faults = [f for f in evidence.run_faults if f["xid"] is not None and f["run_id"] is not None]
    for run in evidence.runs:
        if run["xid"] is None or run["rule"].startswith("cap:") or run["state"] == "cancelled":
            continue
        at = run["detected_at"]
        prior = {
            f["run_id"]
            for f in faults
            if f["node_id"] == run["node_id"]
            and f["xid"] == run["xid"]
            and f["gpu_index"] == run["gpu_index"]
            and f["run_id"] != run["id"]
            and at - window <= f["seen_at"] <= at
        }
        if len(prior) + 1 >= caps.same_xid_count:
            found.append(
                Violation(
                    f"run {run['id']} xid cap",
                    f"run {run['id']} on {run['hostname']}: XID {run['xid']} on GPU {run['gpu_index']} "
                    f"for the {len(prior) + 1}th time in {caps.same_xid_window_s / 3600:g} h, yet not capped",
                )
            )
    return found


def every_finding_ends(evidence: Evidence) -> list[Violation]:
    """A run is resolved, handed to a named owner with a reason, or still inside its SLA; an open finding
    past its SLA has a run or an incident that took it to someone."""
    return _runs_end(evidence) + _findings_owned(evidence)


def _runs_end(evidence: Evidence) -> list[Violation]:
    found, sla = [], timedelta(seconds=evidence.sla_s)
    paged = {key for key, _ in evidence.remediation_pages}
    for run in evidence.runs:
        # The engine's time with the run: since detection, or since the supplier or a person gave it back.
        since = max(run["detected_at"], evidence.taken_back.get(run["id"], run["detected_at"]))
        age = evidence.now - since
        if run["state"] in WORKING and age > sla:
            found.append(
                Violation(
                    f"run {run['id']} stuck",
                    f"run {run['id']} on {run['hostname']} still {run['state']} {age} after "
                    f"{'detection' if since == run['detected_at'] else 'it came back from escalation'}",
                )
            )
        # Handed over: to the supplier on a ticket, or to a person who was paged and told why.
        to_person = f"fleetops-remediation-{run['id']}" in paged and run["last_error"]
        if run["state"] == "escalated" and not (run["ticket"] or to_person):
            found.append(
                Violation(
                    f"run {run['id']} no owner",
                    f"run {run['id']} on {run['hostname']} escalated with no ticket, page or reason",
                )
            )
    return found


def _findings_owned(evidence: Evidence) -> list[Violation]:
    """A finding a run took (its fault row names the run), on a node a run holds, or on a node an incident
    took to someone, has an owner."""
    found, sla = [], timedelta(seconds=evidence.sla_s)
    held = {r["node_id"] for r in evidence.runs if r["state"] in OPEN_RUN}
    taken = {(f["node_id"], f["check"], f["xid"], f["gpu_index"]) for f in evidence.run_faults if f["run_id"]}
    routed = _routed_hosts(evidence)
    for finding in evidence.open_findings:
        age = evidence.now - finding["opened_at"]
        if finding["severity"] == "info" or age <= sla:
            continue
        host = evidence.hostname(finding["node_id"])
        fault = (finding["node_id"], finding["check"], finding["xid"], finding["gpu_index"])
        if finding["node_id"] not in held and fault not in taken and host not in routed:
            found.append(
                Violation(
                    f"finding {finding['id']}",
                    f"finding {finding['id']} ({finding['check']} {finding['xid'] or ''}) on {host} open "
                    f"{age} with no run and no incident taking it to an owner",
                )
            )
    return found


def _routed_hosts(evidence: Evidence) -> set[str]:
    """Hosts an open incident took to an owner (notified once at least: a change since puts it back to
    pending until its group flushes again), or muted with a reason (suppressed, inhibited)."""
    hosts: set[str] = set()
    for incident_id, incident in evidence.incidents.items():
        told = incident["first_notified_at"] is not None
        if incident["status"] == "open" and (told or incident["disposition"] in ("suppressed", "inhibited")):
            hosts |= evidence.hosts_of_incident(incident_id)
    return hosts


def node_state_agrees(evidence: Evidence) -> list[Violation]:
    """The inventory state and the scheduler's drain follow the node's latest run; untouched nodes keep
    their state; nodes in bring-up states have a bring-up in progress."""
    found = []
    latest: dict[int, dict[str, Any]] = {}
    for run in evidence.runs:
        latest[run["node_id"]] = run
    for node_id, node in evidence.nodes.items():
        wrong = _disagreement(evidence, node_id, node, latest.get(node_id))
        if wrong is not None:
            label, why = wrong
            found.append(Violation(f"node {node_id} {label}", f"{node['hostname']}: {why}"))
    return found


def _disagreement(
    evidence: Evidence, node_id: int, node: dict[str, Any], run: dict[str, Any] | None
) -> tuple[str, str] | None:
    state, drained = node["state"], node["hostname"] in evidence.drained
    where = f"{state}, {'drained' if drained else 'in service'}"
    if state in ("provisioning", "qualifying") and node_id not in evidence.bringing_up:
        return "bring-up", f"{state} with no bring-up in progress"
    if run is None:
        baseline = evidence.baseline.get(node_id, state)
        if state != baseline or drained:
            return "untouched", f"no run, yet {where} (was {baseline})"
    elif run["state"] in OPEN_RUN and run["drained_by_us"]:
        if state not in HELD or not drained:
            return f"run {run['id']} holds", f"run {run['id']} {run['state']} holds it, yet {where}"
    elif run["state"] == "resolved" and run["drained_by_us"] and run["back_in_service_at"]:
        if state != "ready" or drained:
            return f"run {run['id']} returned", f"run {run['id']} returned it, yet {where}"
    elif drained and run["state"] not in OPEN_RUN:
        return f"run {run['id']} ended", f"run {run['id']} {run['state']} does not hold it, yet drained"
    return None


def outbox_at_least_once(evidence: Evidence) -> list[Violation]:
    found = []
    stuck = evidence.now - timedelta(seconds=STUCK_MESSAGE_S)
    for row in evidence.outbox:
        if row["status"] == "failed":
            found.append(Violation(f"outbox {row['id']}", f"message {row['id']} failed: {row['last_error']}"))
        elif row["status"] == "pending" and row["next_attempt_at"] < stuck:
            found.append(
                Violation(f"outbox {row['id']}", f"message {row['id']} pending since {row['created_at']}")
            )
    found += _lost_or_doubled(evidence)
    return found


def _lost_or_doubled(evidence: Evidence) -> list[Violation]:
    from fleetops.sim.control_plane import digest

    found = []
    rows: Counter[str] = Counter()
    delivered: Counter[str] = Counter()
    for row in evidence.outbox:
        if row["kind"] == "jira":
            continue
        key = digest(row["payload"])
        rows[key] += 1 if row["attempts"] or row["status"] == "delivered" else 0
        delivered[key] += row["status"] == "delivered"
    receipts = Counter(r.digest for r in evidence.receipts if r.kind != "jira")
    for key, count in delivered.items():
        if receipts[key] < count:
            found.append(
                Violation(f"lost {key}", f"{count - receipts[key]} message(s) {key} delivered, not received")
            )
    extra = sum(max(0, receipts[key] - rows[key]) for key in receipts)
    if extra > evidence.allowed_duplicates:
        found.append(
            Violation(
                "doubled",
                f"{extra} message(s) received twice, {evidence.allowed_duplicates} allowed by killed workers",
            )
        )
    jira_delivered = {
        row["dedup_key"] for row in evidence.outbox if row["kind"] == "jira" and row["status"] == "delivered"
    }
    found += [
        Violation(f"jira {x}", f"{x}: delivered, no issue in Jira")
        for x in jira_delivered
        if not evidence.jira_labels[x]
    ]
    found += [
        Violation(f"jira {x} twice", f"{x}: {n} issues in Jira")
        for x, n in evidence.jira_labels.items()
        if n > 1
    ]
    return found


def capacity_floor(evidence: Evidence) -> list[Violation]:
    """Re-derived from the runs: the distinct nodes quarantined within any breaker window of a cluster or
    supplier never exceed what the breaker allows (its share of the scope, at least its minimum)."""
    limits, found = evidence.limits, []
    window = timedelta(seconds=limits.breaker_window_s)
    quarantines: dict[tuple[str, int], list[tuple[datetime, int]]] = defaultdict(list)
    for run in evidence.runs:
        if run["quarantined_at"] is None or run["state"] == "cancelled":
            continue
        for kind in ("cluster", "supplier"):
            if run[f"{kind}_id"] is not None:
                quarantines[(kind, run[f"{kind}_id"])].append((run["quarantined_at"], run["node_id"]))
    for scope, events in quarantines.items():
        allowed = max(limits.breaker_min_nodes, limits.breaker_share * evidence.scope_sizes[scope])
        held: Counter[int] = Counter()
        events.sort()
        first = 0
        for at, node in events:  # a sliding window: quarantines in (at - window, at]
            held[node] += 1
            while events[first][0] <= at - window:
                gone = events[first][1]
                held[gone] -= 1
                if not held[gone]:
                    del held[gone]
                first += 1
            if len(held) > allowed:
                found.append(
                    Violation(
                        f"{scope[0]} {scope[1]} {at}",
                        f"{scope[0]} {scope[1]}: {len(held)} nodes quarantined within "
                        f"{limits.breaker_window_s:g} s up to {at:%H:%M} (allowed {allowed:g})",
                    )
                )
                break
    return found


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("one_ticket_per_fault", "at most one open ticket per fault", one_ticket_per_fault),
    Invariant("one_page_per_p0", "a page only for a P0 incident, once", one_page_per_p0),
    Invariant("ladder_caps", "no node remediated past the ladder caps", ladder_caps),
    Invariant(
        "every_finding_ends",
        "every finding ends resolved, escalated to a named owner with a reason, or inside its SLA",
        every_finding_ends,
    ),
    Invariant("node_state_agrees", "node state agrees with the run and rollout records", node_state_agrees),
    Invariant(
        "outbox_at_least_once",
        "no outbox message lost or sent twice beyond the documented at-least-once",
        outbox_at_least_once,
    ),
    Invariant("capacity_floor", "capacity in service never drops below the breaker's floor", capacity_floor),
)


def check_all(evidence: Evidence) -> dict[str, list[Violation]]:
    return {invariant.name: invariant.check(evidence) for invariant in INVARIANTS}
