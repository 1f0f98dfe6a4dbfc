"""Access review tables: imported snapshots with their production paths and flags, access requests
(time-bound grants), and the quarterly review checklist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fleetops import clock
from fleetops.db.base import Base, enum_type
from fleetops.security.access.choices import FlagKind, RequestState, ReviewDecision


class AccessSnapshot(Base):
    """One import of the three files; the same files imported again are this same row (`digest`)."""

    __tablename__ = "security_access_snapshot"
    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    taken_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    taken_by: Mapped[str] = mapped_column(String(200))
    sources: Mapped[dict[str, Any]] = mapped_column(JSON)  # file name → sha256, and the policy used
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    baseline: Mapped[bool] = mapped_column(default=False)


class AccessReach(Base):
    __tablename__ = "security_access_reach"
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("security_access_snapshot.id"), index=True)
    user: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))  # the directory's job role; None: not listed
    system: Mapped[str] = mapped_column(String(20))
    via: Mapped[str] = mapped_column(String(300))
    target: Mapped[str] = mapped_column(String(300))
    login: Mapped[str | None] = mapped_column(String(100))
    standing: Mapped[bool]
    wildcard: Mapped[bool]
    session_hours: Mapped[float | None]


class AccessFlag(Base):
    __tablename__ = "security_access_flag"
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("security_access_snapshot.id"), index=True)
    user: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FlagKind] = mapped_column(enum_type(FlagKind))
    detail: Mapped[str] = mapped_column(Text)


class AccessRequest(Base):
    """request → granted by someone else (until `expires_at`) → expired; or denied, or revoked early."""

    __tablename__ = "security_access_request"
    __table_args__ = (Index("ix_security_access_request_due", "state", "expires_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(200), index=True)
    system: Mapped[str] = mapped_column(String(20))
    access: Mapped[str] = mapped_column(String(200))  # a Teleport role or a Tailscale group
    reason: Mapped[str] = mapped_column(String(500))
    hours: Mapped[float]
    state: Mapped[RequestState] = mapped_column(enum_type(RequestState), default=RequestState.REQUESTED)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class AccessReview(Base):
    __tablename__ = "security_access_review"
    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), unique=True)  # 2026-Q1
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("security_access_snapshot.id"))
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
    signed_off_by: Mapped[str | None] = mapped_column(String(200))
    signed_off_at: Mapped[datetime | None]


class AccessReviewItem(Base):
    __tablename__ = "security_access_review_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("security_access_review.id"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(500))
    user: Mapped[str | None] = mapped_column(String(200))  # items about one person's standing access
    decision: Mapped[ReviewDecision] = mapped_column(
        enum_type(ReviewDecision), default=ReviewDecision.PENDING
    )
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(500), default="")
