"""Supplier scorecards: each metric computed from the records over a period and the one before it,
rated Red/Yellow/Green against the thresholds file, with its trend and the records behind the figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.cycles import collector_paused
from fleetops.inventory.models import Supplier
from fleetops.inventory.scope import visible
from fleetops.remediation import measures as remediation
from fleetops.suppliers import deployment, incidents, silence, tickets, timeline
from fleetops.suppliers.choices import Rating, Trend
from fleetops.suppliers.requirements import Standing, standings
from fleetops.suppliers.thresholds import METRICS, Thresholds, default_thresholds

READERS = (Role.ADMIN, Role.OPERATOR, Role.VIEWER, Role.SALES, Role.SUPPLIER)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: datetime | None = None, days: float = DEFAULT_DAYS) -> Period:
        end = end or clock.now()
        return cls(end - timedelta(days=days), end)

    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)


@dataclass(frozen=True)
class Figure:
    """A value and, in words, the records it was computed from."""

    value: float | None
    basis: str


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str
    now: Figure
    before: Figure
    rating: Rating
    trend: Trend


@dataclass
class Scorecard:
    supplier: str
    supplier_id: int
    period: Period
    metrics: list[Metric]
    requirements: Standing
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rating(self) -> Rating:
        """The worst rated metric; a card with nothing to rate has no data."""
        rated = [m.rating for m in self.metrics if m.rating is not Rating.NO_DATA]
        return next((r for r in (Rating.RED, Rating.YELLOW, Rating.GREEN) if r in rated), Rating.NO_DATA)


def _median(values: list[float], what: str) -> Figure:
    return Figure(median(values) if values else None, f"median of {len(values)} {what}")


def _share(part: float, whole: float, what: str) -> Figure:
    return Figure(100 * part / whole if whole else None, f"{part:,.1f} of {whole:,.1f} {what}")


def figures(
    session: Session, suppliers: dict[int, str], period: Period, past: timeline.History
) -> dict[int, dict[str, Figure]]:
    """Every metric of every supplier over one period, in one pass per source of records."""
    ids, start, end = list(suppliers), period.start, period.end
    hours = timeline.hours(past, ids, start, end)
    responses = incidents.response_times(session, list(suppliers.values()), start, end)
    deploys = deployment.success(session, ids, start, end)
    silent = silence.silent_seconds(session, ids, start, end)
    resolved = tickets.resolution_times(session, ids, start, end)
    runs = remediation.per_supplier(session, start, end)
    out = {}
    for sid, name in suppliers.items():
        h, (tried, ok) = hours[sid], deploys.get(sid, (0, 0))
        covered = max(0.0, h.contracted_s - silent.get(sid, 0.0))
        mttr = runs.get(name, {}).get("mttr_hardware_median_s")
        out[sid] = {
            "uptime_pct": _share(h.in_service_s / 3600, h.contracted_s / 3600, "node-hours in service"),
            "response_s": _median(responses.get(name, []), "incidents forwarded"),
            "deploy_success_pct": _share(ok, tried, "nodes ready without a person"),
            "fsh_coverage_pct": _share(covered / 3600, h.contracted_s / 3600, "node-hours reporting"),
            "ticket_resolution_s": _median(resolved.get(sid, []), "supplier tickets"),
            "mttr_hardware_s": Figure(mttr, f"{runs.get(name, {}).get('runs', 0)} remediation runs"),
            "rma_per_1000_gpu_days": Figure(
                h.rma_per_1000_gpu_days, f"{h.rmas} RMAs over {h.gpu_days:,.1f} GPU-days"
            ),
        }
    return out


def _trend(threshold: Any, now: float | None, before: float | None) -> Trend:
    if now is None or before is None:
        return Trend.NEW
    if now == before:
        return Trend.SAME
    return Trend.BETTER if threshold.improved(now, before) else Trend.WORSE


def visible_suppliers(session: Session, principal: Principal, name: str | None = None) -> dict[int, str]:
    """Staff and sales read every supplier's card, a supplier only its own (decided in the query)."""
    principal.require(*READERS)
    query = select(Supplier.id, Supplier.name).order_by(Supplier.name)
    if principal.role is Role.SUPPLIER:
        query = query.where(visible("supplier", principal))
    if name is not None:
        query = query.where(Supplier.name == name)
    return {sid: name for sid, name in session.execute(query)}


def scorecards(
    session: Session, suppliers: dict[int, str], period: Period, thresholds: Thresholds | None = None
) -> list[Scorecard]:
    """With the cycle collector paused: the history of 10,000 nodes is ~100,000 short-lived objects,
    and the full passes they set off over the process's heap were a third of 20 cards' CPU (70 ms)."""
    with collector_paused():
        return _scorecards(session, suppliers, period, thresholds or default_thresholds())


def _scorecards(
    session: Session, suppliers: dict[int, str], period: Period, thresholds: Thresholds
) -> list[Scorecard]:
    past = timeline.history(session, list(suppliers))
    now = figures(session, suppliers, period, past)
    before = figures(session, suppliers, period.previous(), past)
    flags = standings(session, list(suppliers))
    cards = []
    for sid, name in suppliers.items():
        metrics = []
        for metric in METRICS:
            t, a, b = thresholds[metric], now[sid][metric], before[sid][metric]
            trend = _trend(t, a.value, b.value)
            metrics.append(Metric(metric, t.label, t.unit, a, b, t.rate(a.value), trend))
        cards.append(Scorecard(name, sid, period, metrics, flags[sid]))
    return cards
