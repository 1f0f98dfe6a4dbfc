"""What each SLA timer measures: per subject, when its clock started, when it stopped (None: still running),
and where in the fleet it belongs (a node, else a cluster) so the alert pipeline can place it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets.models import Asset, FeedRun, PurchaseOrder, Shipment, Vendor
from fleetops.inventory.models import Cluster, Node


@dataclass(frozen=True)
class Tick:
    subject: str
    started_at: datetime
    stopped_at: datetime | None
    node: str | None = None
    cluster: str | None = None


def _asset_ticks(session: Session, start: object, stop: object) -> list[Tick]:
    stmt = (
        select(Asset.serial, start, stop, Node.hostname, Cluster.name)
        .join(PurchaseOrder, PurchaseOrder.id == Asset.po_id)
        .outerjoin(Node, Node.id == Asset.node_id)
        .outerjoin(Cluster, Cluster.id == PurchaseOrder.cluster_id)
        .where(start.is_not(None))  # type: ignore[attr-defined]
    )
    return [Tick(f"asset {s}", a, b, n, c) for s, a, b, n, c in session.execute(stmt)]


def shipped_to_recorded(session: Session) -> list[Tick]:
    return _asset_ticks(session, Asset.shipped_at, Asset.created_at)


def delivered_to_received(session: Session) -> list[Tick]:
    return _asset_ticks(session, Asset.delivered_at, Asset.received_at)


def asn_to_netbox(session: Session) -> list[Tick]:
    stmt = (
        select(Shipment.number, Shipment.created_at, Shipment.netbox_at, Cluster.name)
        .join(PurchaseOrder, PurchaseOrder.id == Shipment.po_id)
        .outerjoin(Cluster, Cluster.id == PurchaseOrder.cluster_id)
    )
    return [Tick(f"ASN {n}", a, b, None, c) for n, a, b, c in session.execute(stmt)]


def vendor_onboarding(session: Session) -> list[Tick]:
    stmt = select(Vendor.name, Vendor.onboarding_started_at, Vendor.onboarded_at).where(
        Vendor.onboarding_started_at.is_not(None)
    )
    return [Tick(f"vendor {n}", a, b) for n, a, b in session.execute(stmt)]


def feed_age(session: Session) -> list[Tick]:
    """A feed's clock restarts at each successful import and never stops by itself."""
    stmt = select(FeedRun.source, FeedRun.succeeded_at).where(FeedRun.succeeded_at.is_not(None))
    return [Tick(f"feed {s}", a, None) for s, a in session.execute(stmt)]


CLOCKS: dict[str, Callable[[Session], list[Tick]]] = {
    "shipped_to_recorded": shipped_to_recorded,
    "delivered_to_received": delivered_to_received,
    "asn_to_netbox": asn_to_netbox,
    "vendor_onboarding": vendor_onboarding,
    "feed_age": feed_age,
}
