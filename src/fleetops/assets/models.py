"""Asset tables: vendors, purchase orders, ASNs, invoices, assets and their history, spares, repairs.

Natural keys (PO, ASN and invoice numbers, serials) are unique, so a re-imported feed finds its rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleetops.assets.choices import AssetKind, AssetState, PartKind
from fleetops.db.base import Base, TimestampMixin, enum_type


class Vendor(TimestampMixin, Base):
    """A hardware vendor; onboarding runs from `onboarding_started_at` to `onboarded_at` (< 7 days)."""

    __tablename__ = "asset_vendor"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    onboarding_started_at: Mapped[datetime | None]
    onboarded_at: Mapped[datetime | None]


class PurchaseOrder(TimestampMixin, Base):
    __tablename__ = "asset_purchase_order"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("asset_vendor.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price: Mapped[float] = mapped_column(Float)
    ordered_at: Mapped[datetime]
    external_id: Mapped[str | None] = mapped_column(String(100))


class Shipment(TimestampMixin, Base):
    """An advance shipping notice; `netbox_at` is when its devices reached NetBox as planned (≤ 4 h)."""

    __tablename__ = "asset_shipment"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("asset_purchase_order.id"), index=True)
    shipped_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(300))
    netbox_at: Mapped[datetime | None]


class Invoice(TimestampMixin, Base):
    __tablename__ = "asset_invoice"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("asset_purchase_order.id"), index=True)
    quantity: Mapped[int]
    amount: Mapped[float] = mapped_column(Float)
    serials: Mapped[list[str]] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime]


class Asset(TimestampMixin, Base):
    """One serialised unit. `node_id` links a deployed server to the inventory node of the same serial."""

    __tablename__ = "asset"
    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[AssetKind] = mapped_column(enum_type(AssetKind))
    model: Mapped[str] = mapped_column(String(200))
    state: Mapped[AssetState] = mapped_column(enum_type(AssetState), index=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("asset_purchase_order.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("asset_shipment.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("node.id"), index=True)
    ordered_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    racked_at: Mapped[datetime | None]
    deployed_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class AssetTransition(Base):
    """One row of history per lifecycle move: who, when, from, to, why."""

    __tablename__ = "asset_transition"
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500))


class Spare(TimestampMixin, Base):
    __tablename__ = "asset_spare"
    __table_args__ = (UniqueConstraint("site_id", "part"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    part: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PartKind] = mapped_column(enum_type(PartKind))
    stock: Mapped[int]
    reorder_point: Mapped[int]
    usage_per_day: Mapped[float] = mapped_column(Float)


class ClusterBoard(TimestampMixin, Base):
    """The customer-engineering Jira board issue that tracks a cluster."""

    __tablename__ = "asset_cluster_board"
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id"), unique=True)
    issue_key: Mapped[str] = mapped_column(String(50))


class FeedRun(Base):
    """The last import of each procurement feed: its age is the feed-latency timer."""

    __tablename__ = "asset_feed_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), unique=True)
    succeeded_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


class SlaBreach(Base):
    """A timer that ran out, once per subject; `alert_fingerprint` is the alert the pipeline got."""

    __tablename__ = "asset_sla_breach"
    __table_args__ = (UniqueConstraint("timer", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    timer: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    found_at: Mapped[datetime]
    routed: Mapped[str] = mapped_column(String(300))
    alert_fingerprint: Mapped[str | None] = mapped_column(String(64))


class RepairTicket(Base):
    """A repair asked for a device; `routed_at` is when the alert pipeline put it in a team's outbox."""

    __tablename__ = "asset_repair_ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"), index=True)
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    alert_fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    routed_at: Mapped[datetime | None]
    receiver: Mapped[str | None] = mapped_column(String(100))


class NetboxLink(Base):
    """A record pushed to NetBox: its NetBox id and the fields both sides agreed on at the last sync, the
    base a three-way drift check compares each side against (both moved: a conflict, never overwritten)."""

    __tablename__ = "asset_netbox_link"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(200))
    netbox_id: Mapped[int]
    base: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    synced_at: Mapped[datetime]
    request_id: Mapped[str | None] = mapped_column(String(100))
    # The NetBox edit (request id, user, time) that fleetops' own edit of the same fields conflicts with,
    # while it does: each pull reads the device again until one side gives way, which NetBox's change log
    # may never show (fleetops moving back to the base is no NetBox change).
    conflict: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class NetboxCursor(Base):
    """How far the pull has read NetBox's change log: the id of the last object change it went through."""

    __tablename__ = "asset_netbox_cursor"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), unique=True)
    last_id: Mapped[int] = mapped_column(BigInteger)  # NetBox's ids are 64-bit
    moved_at: Mapped[datetime]


class Cable(TimestampMixin, Base):
    """A planned cable: a node's or a switch's port (`a`) to another's (`b`), keyed by its a end, so a
    re-imported plan finds its row. `netbox_id` is the cable NetBox holds for it once pushed or adopted."""

    __tablename__ = "asset_cable"
    __table_args__ = (UniqueConstraint("a_device", "a_port"), UniqueConstraint("b_device", "b_port"))
    id: Mapped[int] = mapped_column(primary_key=True)
    a_device: Mapped[str] = mapped_column(String(200))
    a_switch: Mapped[bool]
    a_port: Mapped[str] = mapped_column(String(100))
    b_device: Mapped[str] = mapped_column(String(200))
    b_switch: Mapped[bool]
    b_port: Mapped[str] = mapped_column(String(100))
    type: Mapped[str | None] = mapped_column(String(50))
    label: Mapped[str | None] = mapped_column(String(100))
    netbox_id: Mapped[int | None]
