"""Intake: findings from health become runs. One open run per node; a repeat finding merges into it, a
stronger one supersedes what is left of it, and the ladder caps send repeat offenders to the supplier.

Each finding is recorded once (`remediation_fault.key`), so a redelivered finding changes nothing. A run
handed over (escalated to the supplier or a person) is still open: what health reports about its node
is evidence on it (`last_seen_at`, a history row for a new fault), never a new run or a second ticket.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.flow import Finding
from fleetops.inventory.placement import placements
from fleetops.remediation import breaker, fsm, ladder, safety
from fleetops.remediation.choices import ActionKind, Outcome, RunState
from fleetops.remediation.models import RemediationFault, RemediationRun, RemediationStep
from fleetops.remediation.policy import Context, Plan, Policy, default_policy

R = RemediationRun
ACTOR = "system:remediation-intake"


@dataclass
class IntakeResult:
    created: list[int] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def fault_key(finding: Finding) -> str:
    parts = (finding.hostname, finding.check, finding.xid, finding.gpu_index, finding.observed_at.isoformat())
    text = "|".join(str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _node(session: Session, hostname: str) -> dict[str, Any] | None:
    place = placements(session, [hostname]).get(hostname)
    return (
        None
        if place is None
        else {"id": place.node_id, "cluster_id": place.cluster_id, "supplier_id": place.supplier_id}
    )


def _context(session: Session, policy: Policy, node_id: int, finding: Finding) -> Context:
    since = finding.observed_at - timedelta(seconds=policy.context_window_s)
    xids = session.scalars(
        select(RemediationFault.xid).where(
            RemediationFault.node_id == node_id,
            RemediationFault.gpu_index.is_(None)
            if finding.gpu_index is None
            else RemediationFault.gpu_index == finding.gpu_index,
            RemediationFault.seen_at >= since,
            RemediationFault.xid.is_not(None),
        )
    )
    actions = session.scalars(
        select(RemediationStep.action)
        .join(R, R.id == RemediationStep.run_id)
        .where(
            R.node_id == node_id,
            RemediationStep.at >= since,
            RemediationStep.outcome == Outcome.OK.value,
            RemediationStep.action.is_not(None),
        )
    )
    return Context(
        frozenset(x for x in xids if x is not None), frozenset(ActionKind(a) for a in actions if a)
    )


def _same_gpu(finding: Finding) -> Any:
    if finding.gpu_index is None:
        return RemediationFault.gpu_index.is_(None)
    return RemediationFault.gpu_index == finding.gpu_index


def _resighted(session: Session, run_id: int, node_id: int, finding: Finding) -> bool:
    """Health re-reports an open condition on every report: the same fault of an open run is not news."""
    xid = RemediationFault.xid.is_(None) if finding.xid is None else RemediationFault.xid == finding.xid
    query = select(RemediationFault.id).where(
        RemediationFault.run_id == run_id,
        RemediationFault.node_id == node_id,
        RemediationFault.check == finding.check,
        xid,
        _same_gpu(finding),
    )
    return session.scalar(query.limit(1)) is not None


def _seen_again(session: Session, run: R, finding: Finding) -> None:
    """The condition is still there: evidence on its run (health re-reports an open finding each report)."""
    if run.last_seen_at is None or finding.observed_at > run.last_seen_at:
        session.execute(update(R).where(R.id == run.id).values(last_seen_at=finding.observed_at))


def _counts(
    session: Session, policy: Policy, node_id: int, finding: Finding, open_run: int | None
) -> tuple[int, int]:
    """How often this fault came back (runs, not sightings) and how often the node was remediated."""
    caps, at = policy.caps, finding.observed_at
    same = 0
    if finding.xid is not None:
        prior = session.scalar(
            select(func.count(func.distinct(RemediationFault.run_id))).where(
                RemediationFault.node_id == node_id,
                RemediationFault.xid == finding.xid,
                _same_gpu(finding),
                RemediationFault.run_id.is_not(None),
                RemediationFault.run_id != (open_run or 0),
                RemediationFault.seen_at >= at - timedelta(seconds=caps.same_xid_window_s),
            )
        )
        same = (prior or 0) + 1
    runs = session.scalar(
        select(func.count()).where(
            R.node_id == node_id,
            R.created_at >= at - timedelta(seconds=caps.node_runs_window_s),
            R.state != RunState.CANCELLED.value,
            R.rule.not_like("cap:%"),
            R.id != (open_run or 0),
        )
    )
    return same, runs or 0


def _create(session: Session, node: dict[str, Any], finding: Finding, plan: Plan) -> int:
    now = clock.now()
    values = {
        "node_id": node["id"],
        "hostname": finding.hostname,
        "cluster_id": node["cluster_id"],
        "supplier_id": node["supplier_id"],
        "gpu_index": finding.gpu_index,
        "check": finding.check,
        "xid": finding.xid,
        "message": finding.message[:2000],
        "rule": plan.rule,
        "fault_class": plan.fault_class.value,
        "reason": plan.reason[:500],
        "state": RunState.PENDING.value,
        "plan": [a.value for a in plan.actions],
        "detected_at": finding.observed_at,
        "last_seen_at": finding.observed_at,
        "due_at": now,
        "created_at": now,
        "updated_at": now,
        "step": 0,
        "step_calls": 0,
        "attempts": 0,
        "rung": 0,
        "findings": 1,
        "drained_by_us": False,
        "dry_run": False,
        "human": plan.needs_human,
    }
    run_id = session.execute(insert(R).values(values).returning(R.id)).scalar_one()
    step = fsm.advance(
        run_id=run_id,
        hostname=finding.hostname,
        old=RunState.PENDING,
        new=RunState.PENDING,
        at=now,
        actor=ACTOR,
        outcome=Outcome.OK.value,
        detail=f"opened: {plan.reason}",
    )
    session.execute(insert(RemediationStep), [step.row()])
    return run_id


def _merge(session: Session, policy: Policy, run: R, finding: Finding, plan: Plan) -> None:
    handed_over = run.state is RunState.ESCALATED
    new_plan = (
        None if handed_over else ladder.supersede(policy, list(run.plan), run.step, plan, run.drained_by_us)
    )
    now = clock.now()
    values: dict[str, Any] = {
        "findings": run.findings + 1,
        "updated_at": now,
        "last_seen_at": finding.observed_at,
    }
    detail = f"another finding {'while handed over' if handed_over else 'merged'}: {plan.reason}"
    if new_plan is not None:
        values |= {
            "plan": new_plan,
            "step_calls": 0,
            "attempts": 0,
            "due_at": now,
            "lease_owner": None,
            "lease_expires_at": None,
            "rule": plan.rule,
            "reason": plan.reason[:500],
        }
        detail = f"superseded by {plan.rule}: {new_plan[run.step :]} replaces {list(run.plan)[run.step :]}"
    session.execute(update(R).where(R.id == run.id).values(values))
    step = fsm.advance(
        run_id=run.id,
        hostname=run.hostname,
        old=run.state,
        new=run.state,
        at=now,
        actor=ACTOR,
        outcome=Outcome.OK.value,
        detail=detail,
    )
    session.execute(insert(RemediationStep), [step.row()])


def intake(
    session: Session,
    findings: list[Finding],
    policy: Policy | None = None,
    limits: safety.Limits | None = None,
    trip: bool = True,
) -> IntakeResult:
    """Turn findings into runs (or merge them into the node's open run); returns what happened to each.
    `trip=False` for what a breaker's reset releases (`breaker.hold_back`)."""
    policy = policy or default_policy()
    result = IntakeResult()
    findings, held = breaker.hold_back(session, policy, limits or safety.Limits(), findings, trip)
    result.ignored.extend(held)
    still_open = [s.value for s in fsm.OPEN]
    for finding in findings:
        if finding.resolved:
            result.ignored.append(f"{finding.hostname} {finding.check}: resolved")
            continue
        node = _node(session, finding.hostname)
        if node is None:
            result.ignored.append(f"{finding.hostname}: not in the inventory")
            continue
        key = fault_key(finding)
        if session.scalar(select(RemediationFault.id).where(RemediationFault.key == key)) is not None:
            result.ignored.append(f"{finding.hostname} {finding.check}: already received")
            continue
        open_run = session.scalar(select(R).where(R.node_id == node["id"], R.state.in_(still_open)).limit(1))
        if open_run is not None and _resighted(session, open_run.id, node["id"], finding):
            _seen_again(session, open_run, finding)
            result.ignored.append(f"{finding.hostname} {finding.check}: seen again (run {open_run.id})")
            continue
        context = _context(session, policy, node["id"], finding)
        plan = policy.plan(finding, context)
        # A condition no rule acts on is re-reported every agent cycle: recording it would add a row per
        # report (7,440 a day for one fabric event in the soak). XIDs are kept: later plans read them.
        if plan is not None or finding.xid is not None:
            session.execute(
                insert(RemediationFault).values(
                    key=key,
                    node_id=node["id"],
                    gpu_index=finding.gpu_index,
                    check=finding.check,
                    xid=finding.xid,
                    seen_at=finding.observed_at,
                )
            )
        if plan is None:
            result.ignored.append(f"{finding.hostname} {finding.check}: no action in the policy")
            continue
        counts = _counts(session, policy, node["id"], finding, open_run.id if open_run else None)
        plan = ladder.capped(policy, plan, *counts, finding.xid, finding.gpu_index)
        if open_run is not None:
            _merge(session, policy, open_run, finding, plan)
            run_id = open_run.id
            result.merged.append(run_id)
        else:
            run_id = _create(session, node, finding, plan)
            result.created.append(run_id)
        session.execute(update(RemediationFault).where(RemediationFault.key == key).values(run_id=run_id))
    return result
