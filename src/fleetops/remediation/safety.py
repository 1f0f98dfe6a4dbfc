"""Safety gates every run passes before it touches a node: kill switch, customer toggle, maintenance
windows, circuit breakers per cluster and supplier, rate limits, dry-run.

The gate state is read once per engine tick (set-based) into `Gates`; deciding is then pure Python, so a
fleet-wide event of 1,000 runs costs a handful of queries, not thousands. A tripped breaker is a row that
only a person closes (`service.reset_breaker`); until then no new node is quarantined in its scope.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops.inventory.models import Node, Rack, Site
from fleetops.remediation.choices import BreakerState, RunState
from fleetops.remediation.models import Breaker, ClusterSettings, RemediationRun, Switch

R = RemediationRun
FLEET = ("fleet", 0)  # the breaker a cause above the clusters trips: it holds every scope


@dataclass(frozen=True)
class Limits:
    """Configurable safety limits; shares are of the nodes in the scope, windows in seconds."""

    breaker_share: float = 0.10
    breaker_window_s: float = 3600
    breaker_min_nodes: int = 1  # a 3-node cluster may still have one node repaired at a time
    rack_min_nodes: int = 4  # this many nodes of one rack with one node-level fault: a rack cause (0: off)
    cluster_rate_per_hour: int = 20
    supplier_rate_per_hour: int = 100
    defer_s: float = 60


@dataclass(frozen=True)
class Settings:
    """A cluster's remediation settings as the engine reads them; defaults when the cluster has no row."""

    enabled: bool = True
    dry_run: bool = False
    allowed_actions: frozenset[str] | None = None
    approval_required: frozenset[str] = frozenset()
    maintenance_windows: tuple[dict[str, Any], ...] = ()
    notify: dict[str, Any] = field(default_factory=dict)

    def window_end(self, at: datetime) -> datetime | None:
        """When the maintenance window covering `at` ends, or None when none covers it."""
        for window in self.maintenance_windows:
            start, end = _aware(window["start"]), _aware(window["end"])
            if start <= at < end:
                return end
        return None


def _aware(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ValueError(f"maintenance window time {value!r} has no timezone")
    return when


def settings_of(row: ClusterSettings | None) -> Settings:
    if row is None:
        return Settings()
    return Settings(
        enabled=row.enabled,
        dry_run=row.dry_run,
        allowed_actions=frozenset(row.allowed_actions) if row.allowed_actions is not None else None,
        approval_required=frozenset(row.approval_required or []),
        maintenance_windows=tuple(row.maintenance_windows or []),
        notify=dict(row.notify or {}),
    )


@dataclass
class Gates:
    """Everything the safety checks need for one tick, loaded with a few set-based queries."""

    now: datetime
    limits: Limits
    kill: bool = False
    dry_run: bool = False
    settings: dict[int, Settings] = field(default_factory=dict)
    open_breakers: set[tuple[str, int]] = field(default_factory=set)
    quarantined: dict[tuple[str, int], set[int]] = field(default_factory=dict)
    started: Counter[tuple[str, int]] = field(default_factory=Counter)
    nodes: Counter[tuple[str, int]] = field(default_factory=Counter)
    tripped: list[tuple[str, int, str]] = field(default_factory=list)

    def for_cluster(self, cluster_id: int | None) -> Settings:
        return self.settings.get(cluster_id, Settings()) if cluster_id is not None else Settings()

    def scopes(self, row: dict[str, Any]) -> list[tuple[str, int]]:
        return [(s, row[f"{s}_id"]) for s in ("cluster", "supplier") if row.get(f"{s}_id") is not None]

    def blocked(self, row: dict[str, Any]) -> str | None:
        """Why this pending run may not quarantine its node now (None: it may); may trip a breaker."""
        if FLEET in self.open_breakers:
            return "circuit breaker open for the fleet: a person must reset it"
        for scope in self.scopes(row):
            if scope in self.open_breakers:
                return f"circuit breaker open for {scope[0]} {scope[1]}: a person must reset it"
        for scope in self.scopes(row):
            limit = (
                self.limits.cluster_rate_per_hour
                if scope[0] == "cluster"
                else self.limits.supplier_rate_per_hour
            )
            if limit and self.started[scope] >= limit:
                started = self.started[scope]
                return f"rate limit: {started} runs started in the last hour for {scope[0]} {scope[1]}"
        for scope in self.scopes(row):
            allowed = max(self.limits.breaker_min_nodes, self.limits.breaker_share * self.nodes[scope])
            held = self.quarantined.get(scope, set()) | {row["node_id"]}
            if len(held) > allowed:
                why = (
                    f"{len(held)} of {self.nodes[scope]} nodes of {scope[0]} {scope[1]} "
                    f"would be quarantined within {self.limits.breaker_window_s:g} s "
                    f"(limit {self.limits.breaker_share:.0%})"
                )
                self.open_breakers.add(scope)
                self.tripped.append((scope[0], scope[1], why))
                return f"circuit breaker tripped: {why}"
        return None

    def admit(self, row: dict[str, Any]) -> None:
        for scope in self.scopes(row):
            self.quarantined.setdefault(scope, set()).add(row["node_id"])
            self.started[scope] += 1


def _started(session: Session, column: Any, since: datetime) -> Counter[int]:
    query = (
        select(column, func.count()).where(R.quarantined_at >= since, column.is_not(None)).group_by(column)
    )
    return Counter({key: value for key, value in session.execute(query)})


def _held(session: Session, column: Any, since: datetime, states: list[str]) -> dict[int, set[int]]:
    """The distinct nodes quarantined per scope within the window (a node repaired twice counts once)."""
    query = (
        select(column, R.node_id)
        .where(R.quarantined_at >= since, column.is_not(None), R.state.in_(states))
        .distinct()
    )
    held: dict[int, set[int]] = {}
    for key, node_id in session.execute(query):
        held.setdefault(key, set()).add(node_id)
    return held


def load_gates(session: Session, limits: Limits, now: datetime, cluster_ids: set[int]) -> Gates:
    switches = {s.name: s.on for s in session.scalars(select(Switch))}
    gates = Gates(
        now=now, limits=limits, kill=switches.get("kill", False), dry_run=switches.get("dry_run", False)
    )
    if cluster_ids:
        rows = session.scalars(select(ClusterSettings).where(ClusterSettings.cluster_id.in_(cluster_ids)))
        gates.settings = {row.cluster_id: settings_of(row) for row in rows}
    breakers = session.execute(
        select(Breaker.scope, Breaker.subject_id).where(Breaker.state == BreakerState.OPEN.value)
    )
    gates.open_breakers = {(scope, subject) for scope, subject in breakers}
    window = now - timedelta(seconds=limits.breaker_window_s)
    hour = now - timedelta(hours=1)
    held = [s.value for s in RunState if s not in (RunState.CANCELLED, RunState.PENDING)]
    for scope, column in (("cluster", R.cluster_id), ("supplier", R.supplier_id)):
        for key, nodes in _held(session, column, window, held).items():
            gates.quarantined[(scope, key)] = nodes
        for key, value in _started(session, column, hour).items():
            gates.started[(scope, key)] = value
    for cluster_id, value in session.execute(
        select(Node.cluster_id, func.count()).where(Node.cluster_id.is_not(None)).group_by(Node.cluster_id)
    ):
        gates.nodes[("cluster", cast(int, cluster_id))] = value
    per_supplier = (
        select(Site.supplier_id, func.count())
        .select_from(Node)
        .join(Rack, Rack.id == Node.rack_id)
        .join(Site, Site.id == Rack.site_id)
        .group_by(Site.supplier_id)
    )
    for key, value in session.execute(per_supplier):
        gates.nodes[("supplier", key)] = value
    return gates


def write_trips(session: Session, gates: Gates) -> None:
    """Persist the breakers this tick tripped (open until a person resets them)."""
    for scope, subject, why in gates.tripped:
        row = session.scalar(select(Breaker).where(Breaker.scope == scope, Breaker.subject_id == subject))
        if row is None:
            row = Breaker(scope=scope, subject_id=subject)
            session.add(row)
        row.state, row.tripped_at, row.reason = BreakerState.OPEN, gates.now, why[:500]
        row.reset_by = row.reset_at = None
    session.flush()


def open_breakers(session: Session) -> list[Breaker]:
    return list(session.scalars(select(Breaker).where(Breaker.state == BreakerState.OPEN.value)))
