"""The circuit breaker decides before runs are created, not after.

A fleet-wide silence (a partition, the control plane down) makes every node look broken at once. Deciding
per pending run in the engine came too late: intake had already written an alert, a pending run and its
history for each of 98,984 silent nodes in one transaction holding SQLite's write lock for 5 minutes.
Here one pass over the batch counts, per cluster and supplier, the nodes that would get a new run with a
node action; a scope over the breaker's share trips (a row only a person resets) and its findings make no
run. Findings for nodes that already have a run still join it, and faults that touch no node (a message
to the customer) pass.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.db.bulk import chunks
from fleetops.flow import Finding
from fleetops.inventory.placement import placements
from fleetops.remediation import fsm, ladder, safety
from fleetops.remediation.models import RemediationRun
from fleetops.remediation.policy import Context, Policy

Scope = tuple[str, int]


def _with_runs(session: Session, node_ids: list[int]) -> set[int]:
    still_open = [s.value for s in fsm.OPEN]
    found: set[int] = set()
    for part in chunks(node_ids):
        query = select(RemediationRun.node_id).where(
            RemediationRun.node_id.in_(part), RemediationRun.state.in_(still_open)
        )
        found.update(session.scalars(query))
    return found


def hold_back(
    session: Session, policy: Policy, limits: safety.Limits, findings: list[Finding]
) -> tuple[list[Finding], list[str]]:
    """The findings intake may turn into runs, and one line per scope whose breaker holds the rest."""
    acting = [
        f
        for f in findings
        if not f.resolved and (p := policy.plan(f, Context())) and ladder.has_node_action(p)
    ]
    if not acting:
        return findings, []
    nodes = placements(session, (f.hostname for f in acting))
    busy = _with_runs(session, [p.node_id for p in nodes.values()])
    wanted: dict[Scope, set[int]] = defaultdict(set)
    for finding in acting:
        place = nodes.get(finding.hostname)
        if place is not None and place.node_id not in busy:
            for scope in place.scopes():
                wanted[scope].add(place.node_id)
    gates = safety.load_gates(session, limits, clock.now(), set())
    held: dict[Scope, str] = {}
    for scope, node_ids in wanted.items():
        if scope in gates.open_breakers:
            held[scope] = f"circuit breaker open for {scope[0]} {scope[1]}: a person must reset it"
            continue
        allowed = max(limits.breaker_min_nodes, limits.breaker_share * gates.nodes[scope])
        total = len(gates.quarantined.get(scope, set()) | node_ids)
        if total > allowed:
            why = (
                f"{total} of {gates.nodes[scope]} nodes of {scope[0]} {scope[1]} would be remediated at once "
                f"(limit {limits.breaker_share:.0%}): no run started, a person decides"
            )
            gates.open_breakers.add(scope)
            gates.tripped.append((scope[0], scope[1], why))
            held[scope] = f"circuit breaker tripped: {why}"
    safety.write_trips(session, gates)
    if not held:
        return findings, []
    acting_ids = {id(f) for f in acting}

    def kept(finding: Finding) -> bool:
        place = nodes.get(finding.hostname)
        if id(finding) not in acting_ids or place is None or place.node_id in busy:
            return True
        return not any(scope in held for scope in place.scopes())

    return [f for f in findings if kept(f)], [f"held back: {why}" for why in held.values()]
