"""The circuit breaker decides before runs are created, not after.

A fleet-wide silence (a partition, the control plane down) makes every node look broken at once. Deciding
per pending run in the engine came too late: intake had already written an alert, a pending run and its
history for each of 98,984 silent nodes in one transaction holding SQLite's write lock for 5 minutes.
Here one pass over the batch counts, per cluster and supplier, the nodes that would get a new run with a
node action; a scope over the breaker's share trips (a row only a person resets) and its findings make no
run. Findings for nodes that already have a run still join it, and faults that touch no node (a message
to the customer) pass. The same node-level fault on several nodes of one rack at once is held back too:
its cause is above the nodes.

A held finding is not remembered here: on the reset, `released` reads what health still has open on the
scope's nodes without a run, and intake takes it as it takes any batch: the breaker judges it again,
holding (without tripping) a scope whose held nodes are still over its share.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.db.bulk import chunks
from fleetops.flow import Finding
from fleetops.health import service as health
from fleetops.inventory.placement import Placement, placements
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


def _rack_causes(
    session: Session,
    acting: list[Finding],
    nodes: dict[str, Placement],
    busy: set[int],
    limits: safety.Limits,
) -> dict[Scope, str]:
    """A node-level fault on `rack_min_nodes` nodes of one rack at once has one cause above the nodes (a
    ToR switch, the rack's power): the rack incident's owner gets it, not a power-cycle and an RMA ticket
    per node beside the rack's own ticket. Counted from health's open findings, not the batch alone."""
    racks: dict[tuple[int, str], set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for finding in acting:
        place = nodes.get(finding.hostname)
        if place is not None and place.node_id not in busy and finding.gpu_index is None:
            racks[place.rack_id, finding.check].add(place.node_id)
            names[place.rack_id] = place.rack
    short = [key for key, ids in racks.items() if len(ids) < limits.rack_min_nodes]
    if limits.rack_min_nodes and short:
        also = health.open_per_rack(session, {r for r, _ in short}, {c for _, c in short})
        for key in short:
            racks[key] |= also.get(key, set()) - busy
    held: dict[Scope, str] = {}
    for (rack_id, check), node_ids in racks.items():
        if limits.rack_min_nodes and len(node_ids) >= limits.rack_min_nodes:
            held["rack", rack_id] = (
                f"{len(node_ids)} nodes of rack {names[rack_id]} report {check} at once: a rack-level cause "
                "for the rack incident's owner, not a repair per node"
            )
    return held


def _trip(gates: safety.Gates, limits: safety.Limits, wanted: dict[Scope, set[int]]) -> dict[Scope, str]:
    """Trip each scope the batch would push over the breaker's share; clusters tripping together are one
    cause above them (a partition, the control plane down): one fleet breaker, one page, one reset,
    instead of a breaker per cluster and supplier (a fleet-wide silence tripped 20 of them)."""
    held: dict[Scope, str] = {}
    tripped: list[tuple[str, int, str]] = []
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
            tripped.append((scope[0], scope[1], why))
    clusters = [t for t in tripped if t[0] == "cluster"]
    if len(clusters) >= 2:
        nodes = set().union(*(ids for scope, ids in wanted.items() if scope[0] == "cluster"))
        why = (
            f"{len(nodes)} nodes in {len(clusters)} clusters would be remediated at once: a cause above the "
            "clusters (a partition, the control plane): no run started, a person decides"
        )
        tripped = [(*safety.FLEET, why)]
    for scope, subject, why in tripped:
        gates.open_breakers.add((scope, subject))
        gates.tripped.append((scope, subject, why))
        held[scope, subject] = f"circuit breaker tripped: {why}"
    return held


def hold_back(
    session: Session, policy: Policy, limits: safety.Limits, findings: list[Finding], trip: bool = True
) -> tuple[list[Finding], list[str]]:
    """The findings intake may turn into runs, and one line per scope whose breaker holds the rest.

    `trip=False` (a reset's release): a scope still over the share is held without tripping again. Its
    cause is still there and above the nodes (a fabric down on a quarter of a cluster); tripping would
    keep the whole scope blocked for every other fault and page again at each reset (the soak's on-call
    reset one every 15-90 min: 33 breaker pages in a day instead of 2)."""
    acting = [
        f
        for f in findings
        if not f.resolved and (p := policy.plan(f, Context())) and ladder.has_node_action(p)
    ]
    if not acting:
        return findings, []
    nodes = placements(session, (f.hostname for f in acting))
    busy = _with_runs(session, [p.node_id for p in nodes.values()])
    held = _rack_causes(session, acting, nodes, busy, limits)
    wanted: dict[Scope, set[int]] = defaultdict(set)
    for finding in acting:
        place = nodes.get(finding.hostname)
        if place is not None and place.node_id not in busy and ("rack", place.rack_id) not in held:
            for scope in place.scopes():
                wanted[scope].add(place.node_id)
    gates = safety.load_gates(session, limits, clock.now(), set())
    if safety.FLEET in gates.open_breakers:
        held[safety.FLEET] = "circuit breaker open for the fleet: a person must reset it"
    else:
        held |= _trip(gates, limits, wanted)
    if trip:
        safety.write_trips(session, gates)
    else:
        held = {
            scope: why.replace("circuit breaker tripped: ", "still, after the reset: ")
            for scope, why in held.items()
        }
    if not held:
        return findings, []
    acting_ids = {id(f) for f in acting}

    def kept(finding: Finding) -> bool:
        place = nodes.get(finding.hostname)
        if id(finding) not in acting_ids or place is None or place.node_id in busy:
            return True
        return not any(scope in held for scope in [*place.scopes(), ("rack", place.rack_id), safety.FLEET])

    return [f for f in findings if kept(f)], [f"held back: {why}" for why in held.values()]


def released(session: Session, scope: str, subject_id: int) -> list[Finding]:
    """The open findings of the nodes without a run in a breaker's scope, for intake when a person resets
    it. Without this, what the trip held got a run only if health re-reported it in a way that reaches
    intake again: a re-reported condition did, a silent node or an XID (read once) never did.

    Read from health, not from a list kept at the trip: what healed meanwhile is not released, and the
    intake's fault keys make a second release (or a finding the hand-off sends too) change nothing."""
    findings = health.open_findings(session)
    nodes = placements(session, {f.hostname for f in findings})

    def inside(place: Placement) -> bool:
        return (scope, subject_id) in [safety.FLEET, *place.scopes(), ("rack", place.rack_id)]

    scoped = {p.node_id for p in nodes.values() if inside(p)}
    free = scoped - _with_runs(session, sorted(scoped))
    return [f for f in findings if (p := nodes.get(f.hostname)) is not None and p.node_id in free]
