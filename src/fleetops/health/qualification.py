"""Qualification under load on the control plane: store agents' results, fulfil requests, judge verification.

Pull-based: the control plane never calls an agent (firewalls around GPU nodes allow only the agent's own
HTTPS out). A request is a row; the agent learns of it in the answer to its next report POST, runs the
qualification when its GPUs are idle and attaches the result to a later report. Three outcomes:

    ran, passed         fulfils every open request made before the run started
    ran, failed         fulfils them too (a failure is a verdict) and opens a `qualification_failed` finding
    could not qualify   (no GPU measured: no PyTorch, GPUs busy) kept for the record, fulfils nothing, so a
                        waiting remediation run times out to a person instead of trusting an untested node
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, select, update
from sqlalchemy.orm import Session

from fleetops.errors import InvalidInput
from fleetops.health import requests
from fleetops.health.evaluate import Observation
from fleetops.health.models import AgentRequest, HealthFinding, HealthReport, QualificationRun
from fleetops.health.state import recount_open
from fleetops.wire import Action, FaultOwner, QualificationResult, RequestKind, Severity, without_nulls

QUALIFICATION_FAILED = "qualification_failed"
MIN_DURATION_S, MAX_DURATION_S = 1, 3600
_RUNS = cast(Table, QualificationRun.__table__)


def ran(result: QualificationResult) -> bool:
    """A result that measured no GPU says nothing about the hardware: it is "could not qualify"."""
    return bool(result.gpus)


def failures(result: QualificationResult) -> list[str]:
    out = [f"GPU {gpu.index}: {reason}" for gpu in result.gpus for reason in gpu.reasons]
    if ran(result) and not result.passed and not out:
        out.append(result.reason or "qualification failed")
    return out


def observations(result: QualificationResult | None) -> list[Observation]:
    """A failed run is a critical finding per failed GPU (or one for the node): the node shows unhealthy."""
    if result is None or not ran(result) or result.passed:
        return []
    failed = [gpu for gpu in result.gpus if not gpu.passed]
    targets: list[tuple[int | None, str]] = [(g.index, "; ".join(g.reasons)) for g in failed] or [
        (None, result.reason)
    ]
    return [
        Observation(
            key=f"{QUALIFICATION_FAILED}:{'-' if index is None else index}:-",
            check=QUALIFICATION_FAILED,
            severity=Severity.CRITICAL.value,
            title="qualification under load failed",
            action=Action.RUN_FIELD_DIAGNOSTICS.value,
            owner=FaultOwner.HARDWARE.value,
            summary=f"qualification ({result.backend}, {result.duration_s:g} s) failed: {why or 'no reason'}",
            gpu_index=index,
        )
        for index, why in targets
    ]


def _row(node_id: int, report_id: str, received_at: datetime, result: QualificationResult) -> dict[str, Any]:
    return {
        "node_id": node_id,
        "report_id": report_id,
        "received_at": received_at,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "backend": result.backend[:64],
        "model": result.model[:256],
        "duration_s": result.duration_s,
        "ran": ran(result),
        "passed": ran(result) and result.passed,
        "gpus": [without_nulls(gpu) for gpu in result.gpus],
        "failures": failures(result),
        "new_xids": list(result.new_xids),
        "reason": result.reason,
    }


def store(
    session: Session, results: Iterable[tuple[int, str, QualificationResult]], received_at: datetime
) -> set[int]:
    """Keep each result, fulfil the requests it answers and, on a pass, close earlier failure findings.

    Runs before the batch's health fold, so the fold already judges the node without a closed finding.
    Rare (one report in thousands carries a result): row-at-a-time is fine here. Returns the fulfilled
    request ids, which the report's answer must no longer list."""
    fulfilled: set[int] = set()
    connection = session.connection()
    for node_id, report_id, result in results:
        row = _row(node_id, report_id, received_at, result)
        run_id = connection.execute(_RUNS.insert().returning(_RUNS.c.id), row).scalar_one()
        if not row["ran"]:
            continue
        fulfilled |= requests.close(
            session,
            node_id,
            RequestKind.QUALIFY,
            AgentRequest.requested_at <= result.started_at,
            at=received_at,
            outcome="passed" if row["passed"] else "failed",
            detail=result.reason,
            result_id=run_id,
        )
        if row["passed"]:
            _close_failures(session, node_id, result.started_at, received_at, run_id)
    return fulfilled


def _close_failures(session: Session, node_id: int, before: datetime, at: datetime, run_id: int) -> None:
    closed = session.execute(
        update(HealthFinding)
        .where(
            and_(
                HealthFinding.node_id == node_id,
                HealthFinding.check == QUALIFICATION_FAILED,
                HealthFinding.resolved_at.is_(None),
                HealthFinding.last_seen_at <= before,
            )
        )
        .values(resolved_at=at, resolved_why=f"qualification run {run_id} passed")
    )
    if getattr(closed, "rowcount", 0):
        recount_open(session, [node_id])


def request_qualification(
    session: Session, hostname: str, actor: str = "remediation", reason: str = "", duration_s: float = 60
) -> int:
    """Ask the node's agent to qualify; an open request is reused (and its id returned), so asking twice
    (a retried remediation step, an operator and remediation at once) runs one qualification."""
    if not MIN_DURATION_S <= duration_s <= MAX_DURATION_S:
        raise InvalidInput(f"duration_s: {duration_s:g} is not between {MIN_DURATION_S} and {MAX_DURATION_S}")
    node_id = requests.node_of(session, hostname)
    return requests.file(
        session, node_id, RequestKind.QUALIFY, actor=actor, reason=reason, duration_s=duration_s
    )


def verification(session: Session, hostname: str, since: datetime) -> bool | None:
    """Is the node fit to return to service after an action taken at `since`?

    False when a qualification started since then failed, or a report since then shows a critical finding;
    True when a report and a passed qualification since then exist; None while either is missing (a run
    that could not qualify counts as missing, never as a pass)."""
    node_id = requests.node_of(session, hostname)
    runs = session.scalars(
        select(QualificationRun.passed).where(
            QualificationRun.node_id == node_id,
            QualificationRun.ran.is_(True),
            QualificationRun.started_at >= since,
        )
    ).all()
    if not all(runs):
        return False
    critical = session.scalar(
        select(HealthFinding.id)
        .where(
            HealthFinding.node_id == node_id,
            HealthFinding.severity == Severity.CRITICAL.value,
            HealthFinding.last_seen_at > since,
        )
        .limit(1)
    )
    if critical is not None:
        return False
    reported = session.scalar(
        select(HealthReport.id)
        .where(HealthReport.node_id == node_id, HealthReport.received_at > since)
        .limit(1)
    )
    return True if runs and reported is not None else None
