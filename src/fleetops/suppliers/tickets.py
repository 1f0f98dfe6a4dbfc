"""Supplier ticket resolution: from the step that opened a run's supplier ticket to the step that read it
closed (the engine's two `ok` calls of the hand-over action, `remediation.steps`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.remediation.choices import ActionKind, Outcome
from fleetops.remediation.models import RemediationRun, RemediationStep

HANDOVER = (ActionKind.RMA_TICKET.value, ActionKind.CONTACT_SUPPLIER.value)


def resolution_times(session: Session, supplier_ids: list[int], start: datetime, end: datetime) -> dict:
    """Per supplier id, seconds from opened to closed for tickets opened in [start, end); one still open
    at `end` counts as `end - opened` (at least that long)."""
    query = (
        select(RemediationRun.id, RemediationRun.supplier_id, RemediationStep.at)
        .join(RemediationStep, RemediationStep.run_id == RemediationRun.id)
        .where(
            RemediationRun.supplier_id.in_(supplier_ids),
            RemediationRun.ticket.is_not(None),
            RemediationRun.dry_run.is_(False),
            RemediationStep.action.in_(HANDOVER),
            RemediationStep.outcome == Outcome.OK.value,
            RemediationStep.from_state == RemediationStep.to_state,
            RemediationStep.at < end,
        )
        .order_by(RemediationStep.at, RemediationStep.id)
    )
    calls: dict[int, list] = defaultdict(list)
    owner: dict[int, int] = {}
    for run_id, supplier_id, at in session.execute(query):
        calls[run_id].append(at)
        owner[run_id] = supplier_id
    out: dict[int, list[float]] = defaultdict(list)
    for run_id, times in calls.items():
        opened = times[0]
        if opened >= start:
            closed = times[1] if len(times) > 1 else end
            out[owner[run_id]].append((closed - opened).total_seconds())
    return out
