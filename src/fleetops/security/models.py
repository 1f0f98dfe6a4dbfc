"""Security tables: every scanner file offered (accepted or refused), findings on an SLA clock, and what
software and firmware each node runs.

A finding's natural key is (asset kind, asset, scanner, check, package): a re-import of the same asset by
the same scanner closes the keys that vanished and reopens the ones that came back, so the row's history
(first seen, opened, fixed, reopened) is the SLA record and no other table keeps it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetops.db.base import Base, enum_type
from fleetops.security.choices import AssetKind, FindingStatus, ImportOutcome, Scanner, Severity


class SecurityImport(Base):
    """One scanner file offered to fleetops; a refused one is kept with the reason (file and path)."""

    __tablename__ = "security_import"
    __table_args__ = (
        Index("ix_security_import_node_scanner", "node_id", "scanner", "received_at"),
        Index("ix_security_import_asset", "asset_kind", "asset", "scanner"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    scanner: Mapped[Scanner] = mapped_column(enum_type(Scanner))
    filename: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[ImportOutcome] = mapped_column(enum_type(ImportOutcome))
    detail: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str | None] = mapped_column(String(64))
    asset_kind: Mapped[AssetKind | None] = mapped_column(enum_type(AssetKind))
    asset: Mapped[str | None] = mapped_column(String(300))
    node_id: Mapped[int | None] = mapped_column(ForeignKey("node.id", ondelete="SET NULL"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id", ondelete="SET NULL"), index=True)
    profile: Mapped[str | None] = mapped_column(String(200))
    rules_pass: Mapped[int | None] = mapped_column(Integer)
    rules_applicable: Mapped[int | None] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)


class SecurityFinding(Base):
    """A vulnerability or failed rule on one asset, from first seen to fixed (or accepted, until expiry)."""

    __tablename__ = "security_finding"
    __table_args__ = (
        UniqueConstraint("asset_kind", "asset", "scanner", "check_id", "package"),
        Index("ix_security_finding_status_severity", "status", "severity"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_kind: Mapped[AssetKind] = mapped_column(enum_type(AssetKind))
    asset: Mapped[str] = mapped_column(String(300))
    scanner: Mapped[Scanner] = mapped_column(enum_type(Scanner))
    check_id: Mapped[str] = mapped_column(String(200), index=True)
    package: Mapped[str] = mapped_column(String(200), default="", index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity))
    status: Mapped[FindingStatus] = mapped_column(enum_type(FindingStatus))
    installed_version: Mapped[str | None] = mapped_column(String(200))
    fixed_version: Mapped[str | None] = mapped_column(String(200))
    first_seen: Mapped[datetime]
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    fixed_at: Mapped[datetime | None]
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    accepted_until: Mapped[datetime | None]
    accepted_reason: Mapped[str | None] = mapped_column(Text)
    accepted_by: Mapped[str | None] = mapped_column(String(200))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("security_import.id", ondelete="SET NULL"))


class NodeSoftware(Base):
    """One component a node runs (kernel, GPU driver, VBIOS, BMC or BIOS firmware) and its version.

    `seen_at` is when this version was first seen (a change of version resets it), `checked_at` when a
    source last confirmed it: the driver on the agent's reports, the kernel on Lynis scans, firmware on
    the BMC's inventory. `component` holds `choices.Component` values.
    """

    __tablename__ = "node_software"
    __table_args__ = (
        UniqueConstraint("node_id", "component", "name"),
        Index("ix_node_software_component_name", "component", "name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    component: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[datetime]
    checked_at: Mapped[datetime | None]
