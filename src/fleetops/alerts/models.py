"""Alert, incident, notification and silence tables: every step of an alert's life is a row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fleetops.db.base import Base


class Alert(Base):
    """One alert by fingerprint: repeats refresh `last_seen_at` and `repeats`, they never add rows."""

    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    alertname: Mapped[str] = mapped_column(String(200), index=True)
    owner: Mapped[str] = mapped_column(String(20), default="unknown")
    status: Mapped[str] = mapped_column(String(16))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    annotations: Mapped[dict[str, Any]] = mapped_column(JSON)
    node_id: Mapped[int | None] = mapped_column(index=True)
    rack_id: Mapped[int | None]
    cluster_id: Mapped[int | None] = mapped_column(index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    repeats: Mapped[int] = mapped_column(default=0)


class Incident(Base):
    """Alerts that share a cause (same owner, same place in the topology), routed as one."""

    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    scope: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[str] = mapped_column(String(4))
    cluster_id: Mapped[int | None] = mapped_column(index=True)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text, default="")
    disposition: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    receivers: Mapped[list[str]] = mapped_column(JSON, default=list)
    alert_count: Mapped[int] = mapped_column(default=0)
    node_count: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    first_notified_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None]


class IncidentEvent(Base):
    """A state change of an incident: who, when, what moved from what to what, and why."""

    __tablename__ = "incident_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(30))
    from_value: Mapped[str | None] = mapped_column(String(100))
    to_value: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")


class NotificationGroup(Base):
    """Incidents that notify one receiver together, with the timers Alertmanager's dispatcher keeps."""

    __tablename__ = "notification_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    receiver: Mapped[str] = mapped_column(String(100))
    incident_ids: Mapped[list[int]] = mapped_column(JSON)
    group_wait_s: Mapped[float]
    group_interval_s: Mapped[float]
    repeat_interval_s: Mapped[float]
    created_at: Mapped[datetime]
    flush_at: Mapped[datetime | None] = mapped_column(index=True)
    last_flushed_at: Mapped[datetime | None]
    last_digest: Mapped[str | None] = mapped_column(String(64))


class Outbox(Base):
    """A message to deliver at least once: it stays `pending` until the receiver accepted it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("notification_group.id"))
    incident_id: Mapped[int | None] = mapped_column(index=True)
    receiver: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    destination: Mapped[str] = mapped_column(String(500))
    dedup_key: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(100))


class Silence(Base):
    """Mutes incidents whose labels match, for a time: a silence, or a planned maintenance window."""

    __tablename__ = "silence"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    matchers: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class RejectedPayload(Base):
    """A webhook payload we refused, kept so a bad sender can be found without reading logs."""

    __tablename__ = "rejected_payload"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    size: Mapped[int]
    excerpt: Mapped[str] = mapped_column(Text, default="")
