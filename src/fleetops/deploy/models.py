"""Deploy tables: rollouts, one durable bring-up row per node, its transition history, decommissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetops import clock
from fleetops.db.base import Base, TimestampMixin, enum_type
from fleetops.deploy.choices import BringupState, DecommissionState, RecoveryAction, RolloutState


class Rollout(TimestampMixin, Base):
    __tablename__ = "deploy_rollout"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id"), index=True)
    image: Mapped[str] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(100))
    state: Mapped[RolloutState] = mapped_column(
        enum_type(RolloutState), default=RolloutState.PLANNED, index=True
    )
    created_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))


class NodeBringup(Base):
    """One node's way through the pipeline; the engine claims it with a lease, so a crash loses nothing."""

    __tablename__ = "deploy_bringup"
    __table_args__ = (
        UniqueConstraint("rollout_id", "node_id"),
        Index("ix_deploy_bringup_due", "state", "due_at"),
        Index("ix_deploy_bringup_rollout_state", "rollout_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("deploy_rollout.id"))
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id"), index=True)
    hostname: Mapped[str] = mapped_column(String(200))
    rack_id: Mapped[int] = mapped_column(index=True)
    site_id: Mapped[int] = mapped_column(index=True)
    gpu_count: Mapped[int]
    state: Mapped[BringupState] = mapped_column(enum_type(BringupState), default=BringupState.ENROLLED)
    # The step being worked on: when it started, how many times the backend was polled in this attempt.
    step_started_at: Mapped[datetime | None]
    step_calls: Mapped[int] = mapped_column(default=0)
    power_on_at: Mapped[datetime | None]
    due_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    # Recovery: the step whose failure is open, how many times it failed in this bring-up (its rung; the
    # other steps' counts are in evidence["steps"]), and what to do when retrying is due. `recovered` is
    # 1 for a node that reached ready after failing, without a person: counted once, however many loops.
    failed_step: Mapped[BringupState | None] = mapped_column(enum_type(BringupState))
    attempt: Mapped[int] = mapped_column(default=0)
    resume_state: Mapped[BringupState | None] = mapped_column(enum_type(BringupState))
    recovery_action: Mapped[RecoveryAction | None] = mapped_column(enum_type(RecoveryAction))
    failures: Mapped[int] = mapped_column(default=0)
    recovered: Mapped[int] = mapped_column(default=0)
    escalations: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enrolled_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    ready_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())


class BringupTransition(Base):
    """Append-only: every state change of a bring-up, with who, when, from, to and why."""

    __tablename__ = "deploy_transition"
    id: Mapped[int] = mapped_column(primary_key=True)
    bringup_id: Mapped[int] = mapped_column(ForeignKey("deploy_bringup.id"), index=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("deploy_rollout.id"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500))


class Decommission(TimestampMixin, Base):
    """A cluster leaving service: drained, wiped, released, with the 24 h deadline it is held to."""

    __tablename__ = "deploy_decommission"
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id"), index=True)
    state: Mapped[DecommissionState] = mapped_column(
        enum_type(DecommissionState), default=DecommissionState.DRAINING
    )
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    nodes_released: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
