"""Emergency update tables: the run, one leased row per node, and every step each node took (the
timeline the post-incident review reads)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetops import clock
from fleetops.db.base import Base, TimestampMixin, enum_type
from fleetops.security.updates.choices import RunState, Step


class EmergencyUpdate(TimestampMixin, Base):
    __tablename__ = "security_update"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id"), index=True)
    bulletin: Mapped[str] = mapped_column(String(200))  # CVE-2026-0001, a vendor advisory...
    max_drained: Mapped[int]  # the blast-radius cap: nodes out of service at once
    state: Mapped[RunState] = mapped_column(enum_type(RunState), default=RunState.PLANNED)
    created_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)  # why it paused


class UpdateNode(Base):
    """One node's way through the update; claimed with a lease (`fleetops.workers.leases`)."""

    __tablename__ = "security_update_node"
    __table_args__ = (
        UniqueConstraint("update_id", "node_id"),
        Index("ix_security_update_node_due", "state", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("security_update.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id"))
    hostname: Mapped[str] = mapped_column(String(200))
    state: Mapped[Step] = mapped_column(enum_type(Step), default=Step.PENDING)
    due_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())


class UpdateStep(Base):
    __tablename__ = "security_update_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("security_update.id"), index=True)
    update_node_id: Mapped[int] = mapped_column(ForeignKey("security_update_node.id"))
    hostname: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    actor: Mapped[str] = mapped_column(String(200))
    from_state: Mapped[Step] = mapped_column(enum_type(Step))
    to_state: Mapped[Step] = mapped_column(enum_type(Step))
    reason: Mapped[str] = mapped_column(Text, default="")
