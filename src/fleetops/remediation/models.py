"""Remediation tables: one durable run per fault, its step history, the faults seen, cluster settings,
breakers and switches. The engine claims runs with a lease (`lease_owner`, `lease_expires_at`), so a
worker killed mid-step loses nothing: the lease expires and another worker resumes the same step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetops import clock
from fleetops.db.base import Base
from fleetops.remediation.choices import BreakerState, FaultClass, RunState


def _enum(choice: type) -> Enum:
    return Enum(choice, native_enum=False, length=32, values_callable=lambda c: [m.value for m in c])


class RemediationRun(Base):
    """One fault's remediation: the plan, where it stands, and when each stage was reached (for MTTR)."""

    __tablename__ = "remediation_run"
    __table_args__ = (
        Index("ix_remediation_run_due", "state", "due_at"),
        Index("ix_remediation_run_node_state", "node_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    hostname: Mapped[str] = mapped_column(String(200))
    cluster_id: Mapped[int | None] = mapped_column(index=True)
    supplier_id: Mapped[int | None] = mapped_column(index=True)
    gpu_index: Mapped[int | None]
    check: Mapped[str] = mapped_column(String(64))
    xid: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[str] = mapped_column(String(100))
    fault_class: Mapped[FaultClass] = mapped_column(_enum(FaultClass))
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[RunState] = mapped_column(_enum(RunState), default=RunState.PENDING)
    # The plan and the cursor into it; `step_calls` counts executor calls within the current step, so a
    # resumed step polls what an earlier (crashed) call started instead of starting it again.
    plan: Mapped[list[str]] = mapped_column(JSON)
    step: Mapped[int] = mapped_column(default=0)
    step_calls: Mapped[int] = mapped_column(default=0)
    step_started_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    rung: Mapped[int] = mapped_column(default=0)
    findings: Mapped[int] = mapped_column(default=1)
    drained_by_us: Mapped[bool] = mapped_column(default=False)
    dry_run: Mapped[bool] = mapped_column(default=False)
    human: Mapped[bool] = mapped_column(default=False)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    ticket: Mapped[str | None] = mapped_column(String(100))
    # How many of the run's findings its ticket carries: the ones after it are new evidence to tell the
    # supplier on the same ticket (`remediation.evidence`).
    told: Mapped[int] = mapped_column(default=0, server_default="0")
    detected_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]  # the fault's latest sighting: evidence while the run is open
    quarantined_at: Mapped[datetime | None]
    drained_at: Mapped[datetime | None]
    acted_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    back_in_service_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    updated_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())


class RemediationStep(Base):
    """Append-only: every step and state change of a run, with who or what approved it and the outcome."""

    __tablename__ = "remediation_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("remediation_run.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    started_at: Mapped[datetime | None]
    actor: Mapped[str] = mapped_column(String(200))
    approver: Mapped[str | None] = mapped_column(String(200))
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    action: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(1000), default="")


class RemediationFault(Base):
    """Every finding the engine received, once (`key` is its identity): the ladder caps count these."""

    __tablename__ = "remediation_fault"
    __table_args__ = (Index("ix_remediation_fault_gpu", "node_id", "gpu_index", "xid", "seen_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    gpu_index: Mapped[int | None]
    check: Mapped[str] = mapped_column(String(64))
    xid: Mapped[int | None]
    seen_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(index=True)


class ClusterSettings(Base):
    """A customer's say over remediation on its cluster; no row means the defaults (on, all actions)."""

    __tablename__ = "remediation_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id", ondelete="CASCADE"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    dry_run: Mapped[bool] = mapped_column(default=False)
    allowed_actions: Mapped[list[str] | None] = mapped_column(JSON)
    approval_required: Mapped[list[str]] = mapped_column(JSON, default=list)
    maintenance_windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notify: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())


class Breaker(Base):
    """A circuit breaker per cluster or supplier: once open, only a person closes it."""

    __tablename__ = "remediation_breaker"
    __table_args__ = (UniqueConstraint("scope", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    state: Mapped[BreakerState] = mapped_column(_enum(BreakerState), default=BreakerState.CLOSED)
    tripped_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    reset_by: Mapped[str | None] = mapped_column(String(200))
    reset_at: Mapped[datetime | None]


class Switch(Base):
    """Fleet-wide switches: `kill` stops every action, `dry_run` records what would have been done."""

    __tablename__ = "remediation_switch"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    on: Mapped[bool] = mapped_column(default=False)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500), default="")
