"""Supplier Technical Requirements: versioned documents, and who acknowledged which version for a supplier.

The only supplier-quality rows kept: every scorecard number is read from the fleet's own records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetops import clock
from fleetops.db.base import Base


class Requirement(Base):
    """One published version of the requirements; a new version is a new row, never an edit."""

    __tablename__ = "supplier_requirement"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())


class Acknowledgement(Base):
    """A supplier's attestation that it read and accepts one version (who, when)."""

    __tablename__ = "supplier_requirement_ack"
    __table_args__ = (UniqueConstraint("requirement_id", "supplier_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("supplier_requirement.id", ondelete="CASCADE"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"), index=True)
    acknowledged_by: Mapped[str] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime] = mapped_column(default=lambda: clock.now())
