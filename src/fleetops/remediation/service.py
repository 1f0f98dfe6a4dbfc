"""Remediation use-cases: intake of findings, scoped reads of runs, a person's decisions (cancel, approve,
breaker reset, kill switch, dry-run) and the customer's cluster settings. Every change is audited.

Tenant isolation is in the query: a customer's token sees and changes only its own clusters' runs and
settings (`fleetops.inventory.scope.visible`); anything else is "not found", never "forbidden".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.errors import InvalidInput, InvalidTransition, NotFound
from fleetops.flow import Finding
from fleetops.inventory.models import Cluster, Node
from fleetops.inventory.scope import visible
from fleetops.remediation import breaker, fsm, nodes, safety
from fleetops.remediation.choices import ActionKind, BreakerState, Outcome, RunState
from fleetops.remediation.intake import IntakeResult, intake
from fleetops.remediation.models import Breaker, ClusterSettings, RemediationRun, RemediationStep, Switch
from fleetops.remediation.policy import Policy, default_policy
from fleetops.remediation.schemas import MASK, SettingsRead, SettingsUpdate, SwitchRead, masked

R = RemediationRun
SWITCHES = ("kill", "dry_run")
MAX_LIMIT = 1000


def receive_findings(session: Session, findings: list[Finding], policy: Policy | None = None) -> IntakeResult:
    """The pipeline's hand-off from health: findings become (or join) runs."""
    return intake(session, findings, policy)


def judge_breakers(session: Session, findings: list[Finding], policy: Policy | None = None) -> None:
    """The breakers judge a whole hand-off before intake takes it in batches: a batch boundary must not
    split a fleet-wide silence into scopes each under the share (batches of 500 started 7 node runs for
    2,173 silent nodes: bench/bench_silence.py). Reads, then writes only the trips."""
    breaker.hold_back(session, policy or default_policy(), safety.Limits(), findings)


def _runs(principal: Principal) -> Any:
    query = select(R).join(Node, Node.id == R.node_id)
    rule = visible("node", principal)
    return query if rule is None else query.where(rule)


def list_runs(
    session: Session,
    principal: Principal,
    *,
    state: str | None = None,
    cluster_id: int | None = None,
    hostname: str | None = None,
    limit: int = 100,
) -> list[RemediationRun]:
    query = _runs(principal)
    if state is not None:
        if state not in {s.value for s in RunState}:
            raise InvalidInput(f"filter state: {state!r} is not a run state")
        query = query.where(R.state == state)
    if cluster_id is not None:
        query = query.where(R.cluster_id == cluster_id)
    if hostname is not None:
        query = query.where(R.hostname == hostname)
    return list(session.scalars(query.order_by(R.id.desc()).limit(max(1, min(limit, MAX_LIMIT)))))


def get_run(session: Session, principal: Principal, run_id: int) -> RemediationRun:
    run = session.scalar(_runs(principal).where(R.id == run_id))
    if run is None:
        raise NotFound(f"remediation run {run_id}: not found")
    return run


def steps(session: Session, run_id: int) -> list[RemediationStep]:
    return list(
        session.scalars(
            select(RemediationStep).where(RemediationStep.run_id == run_id).order_by(RemediationStep.id)
        )
    )


def _person_step(
    session: Session,
    run: RemediationRun,
    actor: str,
    new: RunState,
    detail: str,
    outcome: Outcome = Outcome.OK,
) -> None:
    now = clock.now()
    step = fsm.advance(
        run_id=run.id,
        hostname=run.hostname,
        old=run.state,
        new=new,
        at=now,
        actor=actor,
        outcome=outcome.value,
        detail=detail,
        approver=actor,
    )
    session.add(RemediationStep(**step.row()))
    run.state, run.updated_at = new, now
    # Taking the lease away means a worker mid-step cannot write over a person's decision.
    run.lease_owner = run.lease_expires_at = None


def cancel(session: Session, principal: Principal, run_id: int, reason: str = "") -> RemediationRun:
    principal.require_writer()
    run = get_run(session, principal, run_id)
    if run.state in fsm.TERMINAL:
        raise InvalidTransition(f"remediation run {run_id}: field state: already {run.state}, cannot cancel")
    _person_step(
        session,
        run,
        principal.actor,
        RunState.CANCELLED,
        f"cancelled by a person: {reason}".strip(),
        Outcome.SKIPPED,
    )
    run.finished_at, run.human = clock.now(), True
    record(session, principal.actor, Change("cancel", "remediation_run", str(run.id), {"reason": reason}))
    return run


def approve(session: Session, principal: Principal, run_id: int) -> RemediationRun:
    principal.require_writer()
    run = get_run(session, principal, run_id)
    if run.state in fsm.TERMINAL:
        raise InvalidTransition(
            f"remediation run {run_id}: field state: already {run.state}, nothing to approve"
        )
    run.approved_by, run.due_at, run.last_error = principal.actor, clock.now(), None
    _person_step(session, run, principal.actor, run.state, f"approved by {principal.actor}")
    record(session, principal.actor, Change("approve", "remediation_run", str(run.id), {}))
    return run


def mark_repaired(session: Session, principal: Principal, run_id: int, note: str = "") -> RemediationRun:
    """A person says the repair is done (the supplier's part replaced, the node fixed by hand): the run
    verifies it under load before the node goes back, and the hardware MTTR clock stops there."""
    principal.require_writer()
    run = get_run(session, principal, run_id)
    if run.state is not RunState.ESCALATED:
        raise InvalidTransition(f"remediation run {run_id}: field state: {run.state}; only escalated runs")
    plan = [*run.plan, ActionKind.VERIFY.value]
    _person_step(session, run, principal.actor, RunState.VERIFYING, f"repaired: {note}".strip())
    now = clock.now()
    run.plan, run.step, run.step_calls, run.attempts = plan, len(plan) - 1, 0, 0
    run.acted_at = run.due_at = now
    run.human, run.last_error = True, None
    move = nodes.Move(run.node_id, run.hostname, run.id, RunState.VERIFYING, ActionKind.VERIFY, False, note)
    nodes.follow(session, [move], principal.actor)
    record(session, principal.actor, Change("repaired", "remediation_run", str(run.id), {"note": note}))
    return run


def switches(session: Session) -> list[SwitchRead]:
    rows = {s.name: s for s in session.scalars(select(Switch))}
    return [
        SwitchRead(
            name=n,
            on=rows[n].on,
            changed_by=rows[n].changed_by,
            changed_at=rows[n].changed_at,
            reason=rows[n].reason,
        )
        if n in rows
        else SwitchRead(name=n, on=False)
        for n in SWITCHES
    ]


def set_switch(session: Session, principal: Principal, name: str, on: bool, reason: str = "") -> SwitchRead:
    """The global kill switch and dry-run mode: staff only, every flip audited."""
    principal.require_writer()
    if name not in SWITCHES:
        raise InvalidInput(f"switch {name!r}: unknown (one of: {', '.join(SWITCHES)})")
    row = session.get(Switch, name) or Switch(name=name, changed_by=principal.actor, changed_at=clock.now())
    before = row.on
    row.on, row.changed_by, row.changed_at, row.reason = on, principal.actor, clock.now(), reason[:500]
    session.add(row)
    record(
        session,
        principal.actor,
        Change("set", "remediation_switch", name, {"on": [before, on], "reason": reason}),
    )
    return SwitchRead(
        name=name, on=on, changed_by=row.changed_by, changed_at=row.changed_at, reason=row.reason
    )


def breakers(session: Session) -> list[Breaker]:
    return list(session.scalars(select(Breaker).order_by(Breaker.scope, Breaker.subject_id)))


def reset_breaker(session: Session, principal: Principal, scope: str, subject_id: int) -> Breaker:
    """Only a person closes a tripped breaker (admin or operator). The faults it held that are still open
    go to intake in the same transaction, so the reset and their runs happen together or not at all. A
    scope whose held nodes are still over the share stays held without tripping again: the reset stands,
    and the scope's other faults get their runs."""
    principal.require_writer()
    row = session.scalar(select(Breaker).where(Breaker.scope == scope, Breaker.subject_id == subject_id))
    if row is None:
        raise NotFound(f"circuit breaker {scope} {subject_id}: not found")
    before, reason = row.state.value, row.reason
    row.state, row.reset_by, row.reset_at = BreakerState.CLOSED, principal.actor, clock.now()
    started = intake(session, breaker.released(session, scope, subject_id), trip=False).created
    record(
        session,
        principal.actor,
        Change(
            "reset",
            "remediation_breaker",
            f"{scope}:{subject_id}",
            {"state": [before, "closed"], "reason": reason, "runs_started": started},
        ),
    )
    return row


def _cluster(session: Session, principal: Principal, cluster_id: int) -> Cluster:
    query = select(Cluster).where(Cluster.id == cluster_id)
    rule = visible("cluster", principal)
    cluster = session.scalar(query if rule is None else query.where(rule))
    if cluster is None:
        raise NotFound(f"cluster {cluster_id}: not found")
    return cluster


def _read(cluster: Cluster, row: ClusterSettings | None) -> SettingsRead:
    if row is None:
        return SettingsRead(cluster_id=cluster.id, cluster=cluster.name)
    return SettingsRead(
        cluster_id=cluster.id,
        cluster=cluster.name,
        enabled=row.enabled,
        dry_run=row.dry_run,
        allowed_actions=row.allowed_actions,
        approval_required=row.approval_required or [],
        maintenance_windows=row.maintenance_windows or [],
        notify=row.notify or {},
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def get_settings(session: Session, principal: Principal, cluster_id: int) -> SettingsRead:
    cluster = _cluster(session, principal, cluster_id)
    row = session.scalar(select(ClusterSettings).where(ClusterSettings.cluster_id == cluster.id))
    return _read(cluster, row)


def settings_of_clusters(session: Session, clusters: list[Cluster]) -> dict[int, SettingsRead]:
    """Many clusters' settings in one query (the add-on renderer reads a whole fleet); the caller has
    already scoped `clusters`."""
    query = select(ClusterSettings).where(ClusterSettings.cluster_id.in_([c.id for c in clusters]))
    rows = {r.cluster_id: r for r in session.scalars(query)}
    return {c.id: _read(c, rows.get(c.id)) for c in clusters}


def update_settings(
    session: Session, principal: Principal, cluster_id: int, data: SettingsUpdate
) -> SettingsRead:
    """A customer sets remediation for its own cluster (staff for any); audited field by field."""
    principal.require(Role.ADMIN, Role.OPERATOR, Role.CUSTOMER)
    cluster = _cluster(session, principal, cluster_id)
    row = session.scalar(select(ClusterSettings).where(ClusterSettings.cluster_id == cluster.id))
    if row is None:
        row = ClusterSettings(
            cluster_id=cluster.id,
            enabled=True,
            dry_run=False,
            allowed_actions=None,
            approval_required=[],
            maintenance_windows=[],
            notify={},
            updated_by=principal.actor,
        )
        session.add(row)
    changes: dict[str, Any] = {}
    for field, value in data.model_dump(exclude_unset=True, mode="json").items():
        if value is None and field != "allowed_actions":
            continue
        if field == "notify":  # the masked value read back and sent again keeps what was set
            value = {k: (row.notify or {}).get(k) if v == MASK else v for k, v in value.items()}
        if getattr(row, field) != value:
            old = getattr(row, field)
            changes[field] = [masked(old), masked(value)] if field == "notify" else [old, value]
            setattr(row, field, value)
    row.updated_by, row.updated_at = principal.actor, clock.now()
    session.flush()
    record(session, principal.actor, Change("update", "remediation_settings", cluster.name, changes))
    return _read(cluster, row)
