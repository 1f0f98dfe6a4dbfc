"""Health tables: received reports (idempotency), rejections, GPU/node health, findings and state changes.

Readings themselves are not stored: Prometheus holds time series, these rows hold conclusions. Every
state change is a row (`health_change`), every finding keeps who reported it, when it opened and closed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fleetops.db.base import Base


class HealthReport(Base):
    """One accepted agent report; `report_id` is the idempotency key, so a resend is never counted twice."""

    __tablename__ = "health_report"
    __table_args__ = (Index("ix_health_report_node_received", "node_id", "received_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36), unique=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(200))
    agent_version: Mapped[str] = mapped_column(String(64))
    collected_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(index=True)
    skew_s: Mapped[float] = mapped_column(Float)
    clock_skewed: Mapped[bool]
    gpu_count: Mapped[int] = mapped_column(Integer)
    finding_count: Mapped[int] = mapped_column(Integer)


class HealthRejection(Base):
    """A report the control plane refused, kept so the refusal is visible (console, API), never silent."""

    __tablename__ = "health_rejection"
    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text)
    report_id: Mapped[str | None] = mapped_column(String(64))
    hostname: Mapped[str | None] = mapped_column(String(256))
    node_id: Mapped[int | None] = mapped_column(ForeignKey("node.id", ondelete="SET NULL"), index=True)


class NodeHealth(Base):
    __tablename__ = "node_health"
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    since: Mapped[datetime]
    why: Mapped[str] = mapped_column(Text)
    last_report_at: Mapped[datetime | None] = mapped_column(index=True)
    last_collected_at: Mapped[datetime | None]
    last_report_id: Mapped[str | None] = mapped_column(String(36))
    # How many findings of this node are open; lets a healthy node's report skip reading findings at all.
    open_findings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class GpuHealth(Base):
    __tablename__ = "gpu_health"
    gpu_id: Mapped[int] = mapped_column(ForeignKey("gpu.id", ondelete="CASCADE"), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    since: Mapped[datetime]
    why: Mapped[str] = mapped_column(Text)


class HealthFinding(Base):
    """One fault on one node (and GPU), from its first report to its resolution.

    `key` identifies "the same fault" on a node (check, GPU index, XID), so a fault seen in every report
    for an hour is one row with `count` and `last_seen_at`, not 120 rows.
    """

    __tablename__ = "health_finding"
    __table_args__ = (
        Index("ix_health_finding_node_open", "node_id", "resolved_at"),
        Index("ix_health_finding_opened", "opened_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    gpu_id: Mapped[int | None] = mapped_column(ForeignKey("gpu.id", ondelete="SET NULL"), index=True)
    gpu_index: Mapped[int | None]
    key: Mapped[str] = mapped_column(String(128))
    check: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    xid: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    reported_by: Mapped[str] = mapped_column(String(200))
    report_id: Mapped[str | None] = mapped_column(String(36))
    count: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_why: Mapped[str | None] = mapped_column(Text)


class HealthChange(Base):
    """Who moved which node or GPU from which health state to which, when and why."""

    __tablename__ = "health_change"
    __table_args__ = (Index("ix_health_change_node_at", "node_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    gpu_id: Mapped[int | None] = mapped_column(ForeignKey("gpu.id", ondelete="SET NULL"))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    why: Mapped[str] = mapped_column(Text)


class QualificationRun(Base):
    """One qualification result an agent reported: what it measured per GPU and whether the node passed.

    `ran` is false when the agent could not qualify at all (no PyTorch, no GPU readings, GPUs busy): such a
    row is kept so the reason is visible, but it is neither a pass nor a failure and fulfils no request.
    """

    __tablename__ = "qualification_run"
    __table_args__ = (Index("ix_qualification_run_node_started", "node_id", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    report_id: Mapped[str] = mapped_column(String(36), index=True)
    received_at: Mapped[datetime]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    backend: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(256))
    duration_s: Mapped[float] = mapped_column(Float)
    ran: Mapped[bool]
    passed: Mapped[bool]
    gpus: Mapped[list[dict]] = mapped_column(JSON)  # per-GPU figures and reasons, as the agent sent them
    failures: Mapped[list[str]] = mapped_column(JSON)  # "GPU 3: bf16 matmul median TFLOP/s 410.0 < 600"
    new_xids: Mapped[list[int]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)


class AgentRequest(Base):
    """Something asked of a node's agent (qualify under load, reset a GPU), by remediation or an operator.

    Agents only pull: open requests ride in the answer to every report POST until the agent's result
    closes them (`closed_at`, `outcome`: passed / failed for a qualification, ok / failed / refused for a
    reset). `detail` is the agent's latest word, also while open ("busy: a process uses GPU 3")."""

    __tablename__ = "agent_request"
    __table_args__ = (Index("ix_agent_request_node_open", "node_id", "closed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    gpu_index: Mapped[int | None]  # reset_gpu: the GPU (None: every GPU of the node)
    duration_s: Mapped[float | None] = mapped_column(Float)  # qualify: seconds per GPU
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")
    result_id: Mapped[int | None] = mapped_column(ForeignKey("qualification_run.id", ondelete="SET NULL"))


class CoverageSweep(Base):
    """When the silence sweep last ran, when an API process last said it was serving, and how long the
    control plane was down before it resumed: one row. Silence is counted only while the control plane
    listened (`health.coverage`)."""

    __tablename__ = "coverage_sweep"
    id: Mapped[int] = mapped_column(primary_key=True)
    swept_at: Mapped[datetime]
    resumed_at: Mapped[datetime | None]  # the first sweep after the control plane was down
    down_s: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    heard_at: Mapped[datetime | None]  # a serving API process's last heartbeat (`coverage.Listening`)


__all__ = [
    "AgentRequest",
    "CoverageSweep",
    "GpuHealth",
    "HealthChange",
    "HealthFinding",
    "HealthRejection",
    "HealthReport",
    "NodeHealth",
    "QualificationRun",
]
