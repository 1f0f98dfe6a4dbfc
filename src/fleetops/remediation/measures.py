"""Remediation measures, all queries over the runs and their steps (never separately kept numbers):
MTTR (detection → back in service) split software/hardware and per stage, the share resolved without a
person, actions by type and outcome, escalations, per supplier; and the `/metrics` collector.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.db.metrics import add_observations
from fleetops.inventory.models import Supplier
from fleetops.remediation.choices import BreakerState, FaultClass, RunState
from fleetops.remediation.models import Breaker, RemediationRun, RemediationStep, Switch

R = RemediationRun
WINDOW_DAYS = 30.0
GOAL_S = {FaultClass.SOFTWARE.value: 15 * 60, FaultClass.HARDWARE.value: 4 * 3600}
STAGES = (
    ("detect", "detected_at", "quarantined_at"),
    ("drain", "quarantined_at", "drained_at"),
    ("act", "drained_at", "acted_at"),
    ("verify", "acted_at", "verified_at"),
    ("return", "verified_at", "back_in_service_at"),
)


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def _runs(session: Session, since: datetime, until: datetime | None = None) -> list[dict[str, Any]]:
    columns = [
        R.id,
        R.state,
        R.fault_class,
        R.human,
        R.dry_run,
        R.supplier_id,
        R.ticket,
        R.detected_at,
        R.quarantined_at,
        R.drained_at,
        R.acted_at,
        R.verified_at,
        R.back_in_service_at,
        R.finished_at,
    ]
    query = select(*columns, Supplier.name.label("supplier")).outerjoin(
        Supplier, Supplier.id == R.supplier_id
    )
    query = query.where(R.detected_at >= since)
    if until is not None:
        query = query.where(R.detected_at < until)
    return [dict(row._mapping) for row in session.execute(query)]


def _mttr(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fault_class in (FaultClass.SOFTWARE.value, FaultClass.HARDWARE.value):
        values = [
            s
            for r in runs
            if str(r["fault_class"]) == fault_class
            and not r["dry_run"]
            and (s := _seconds(r["detected_at"], r["back_in_service_at"])) is not None
        ]
        goal = GOAL_S[fault_class]
        out[fault_class] = {
            "count": len(values),
            "median_s": median(values) if values else None,
            "p90_s": _quantile(values, 0.9),
            "goal_s": goal,
            "within_goal": sum(1 for v in values if v < goal) / len(values) if values else None,
        }
    return out


def _stages(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name, start, end in STAGES:
        values = [s for r in runs if not r["dry_run"] and (s := _seconds(r[start], r[end])) is not None]
        out[name] = median(values) if values else None
    return out


def _automation(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of finished runs resolved with no person of ours involved (dry runs and customer opt-outs
    excluded). A run handed to the supplier counts once it ends: drained, ticketed, and returned after
    their repair with no step by our staff is automated; one handed to a person counts against at once."""
    finished = [
        r
        for r in runs
        if not r["dry_run"]
        and (
            r["state"] is RunState.RESOLVED
            or (r["state"] in (RunState.CANCELLED, RunState.ESCALATED) and r["human"])
        )
    ]
    automatic = sum(1 for r in finished if r["state"] is RunState.RESOLVED and not r["human"])
    return {
        "finished": len(finished),
        "automatic": automatic,
        "share": automatic / len(finished) if finished else None,
    }


def _per_supplier(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[run["supplier"] or "-"].append(run)
    return {
        supplier: {
            "runs": len(rows),
            "escalated": sum(1 for r in rows if r["state"] is RunState.ESCALATED),
            "tickets": sum(1 for r in rows if r["ticket"]),
            "automation": _automation(rows)["share"],
            "mttr_hardware_median_s": _mttr(rows)["hardware"]["median_s"],
        }
        for supplier, rows in sorted(groups.items())
    }


def per_supplier(session: Session, since: datetime, until: datetime) -> dict[str, dict[str, Any]]:
    """The per-supplier measures over runs detected in [since, until): the supplier scorecard's MTTR."""
    return _per_supplier(_runs(session, since, until))


def actions(session: Session, since: datetime, until: datetime | None = None) -> dict[str, dict[str, int]]:
    """Actions by type and outcome, from the step rows where an executor was called (or dry-run)."""
    query = (
        select(RemediationStep.action, RemediationStep.outcome, func.count())
        .where(
            RemediationStep.at >= since,
            RemediationStep.action.is_not(None),
            RemediationStep.from_state == RemediationStep.to_state,
            RemediationStep.outcome.in_(("ok", "failed", "dry_run")),
        )
        .group_by(RemediationStep.action, RemediationStep.outcome)
    )
    if until is not None:
        query = query.where(RemediationStep.at < until)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for action, outcome, count in session.execute(query):
        out[str(action)][outcome] = count
    return dict(out)


def summary(session: Session, days: float = WINDOW_DAYS, until: datetime | None = None) -> dict[str, Any]:
    """The measures over runs detected in the `days` before `until` (default: now; a year of runs is not
    read to draw a gauge). A past `until` leaves out the runs detected since."""
    since = (until or clock.now()) - timedelta(days=days)
    runs = _runs(session, since, until)
    return {
        "since": since.isoformat(),
        "runs": len(runs),
        "by_state": dict(Counter(str(r["state"]) for r in runs)),
        "escalated": sum(1 for r in runs if r["state"] is RunState.ESCALATED),
        "mttr": _mttr(runs),
        "stages_median_s": _stages(runs),
        "automation": _automation(runs),
        "actions": actions(session, since, until),
        "per_supplier": _per_supplier(runs),
    }


# the goals (15 min software, 4 h hardware) are bounds, so the share within goal is read off the buckets
MTTR_BUCKETS_S = (60.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0, 259200.0)


def remediation_metrics(session: Session) -> Iterable[Metric]:
    """Prometheus families for `/metrics` (append to `fleetops.api.metrics.COLLECTORS`): runs by state over
    the last 30 days; actions and MTTR over every run ever, as counters and histograms, so they never go
    down when old runs leave the window."""
    data = summary(session)
    runs = GaugeMetricFamily(
        "fleetops_remediation_runs",
        "Remediation runs detected in the last 30 days, by state",
        labels=["state"],
    )
    for state in RunState:
        runs.add_metric([state.value], data["by_state"].get(state.value, 0))
    mttr = HistogramMetricFamily(
        "fleetops_remediation_mttr_seconds",
        "Detection to back in service, runs not dry",
        labels=["fault_class"],
    )
    repaired = session.execute(
        select(R.fault_class, R.detected_at, R.back_in_service_at).where(
            R.back_in_service_at.is_not(None), R.dry_run.is_(False)
        )
    ).all()
    for fault_class in (FaultClass.SOFTWARE.value, FaultClass.HARDWARE.value):
        seconds = (
            (end - start).total_seconds() for kind, start, end in repaired if end and str(kind) == fault_class
        )
        add_observations(mttr, [fault_class], seconds, MTTR_BUCKETS_S)
    share = GaugeMetricFamily(
        "fleetops_remediation_automation_share", "Share of runs resolved without a person, last 30 days"
    )
    share.add_metric([], data["automation"]["share"] or 0.0)
    done = CounterMetricFamily(
        "fleetops_remediation_actions", "Actions by type and outcome", labels=["action", "outcome"]
    )
    for action, outcomes in sorted(actions(session, datetime.min.replace(tzinfo=UTC)).items()):
        for outcome, count in sorted(outcomes.items()):
            done.add_metric([action, outcome], count)
    open_breakers = session.scalar(select(func.count()).where(Breaker.state == BreakerState.OPEN.value)) or 0
    breakers = GaugeMetricFamily("fleetops_remediation_breakers_open", "Tripped circuit breakers")
    breakers.add_metric([], open_breakers)
    kill = session.get(Switch, "kill")
    switch = GaugeMetricFamily("fleetops_remediation_kill_switch", "1 while the kill switch is on")
    switch.add_metric([], 1.0 if kill and kill.on else 0.0)
    return [runs, mttr, share, done, breakers, switch]
