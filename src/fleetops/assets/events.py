"""Shipping and delivery events applied to assets: all of a file or none of it, a replay changes nothing.

An ASN creates its assets (ordered, then shipped); a delivery moves known serials to delivered. Checks
run as each row is applied; the caller's one transaction rolls every row back on the first refusal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets import fsm, lifecycle, orders
from fleetops.assets.choices import AssetKind, AssetState
from fleetops.assets.feeds import Row
from fleetops.assets.models import Asset, PurchaseOrder, Shipment
from fleetops.backends.settings import VendorFeed
from fleetops.errors import Conflict, InvalidInput


@dataclass
class Applied:
    counts: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, int]:
        return {k: self.counts[k] for k in ("created", "moved", "unchanged")}


def _order(session: Session, row: Row) -> PurchaseOrder:
    number = row.values["po"]
    order = orders.by_number(session, number, missing_ok=True)
    if order is None:
        raise InvalidInput(f"{row.at('po')}: no purchase order {number!r}")
    return order


def _shipment(session: Session, row: Row, order: PurchaseOrder, mapping: VendorFeed) -> Shipment:
    number, shipped_at = row.values["asn"], row.date("shipped_at", mapping)
    shipment = session.scalar(select(Shipment).where(Shipment.number == number))
    if shipment is None:
        shipment = Shipment(number=number, po_id=order.id, shipped_at=shipped_at, source=row.source[:300])
        session.add(shipment)
        session.flush()
    elif shipment.po_id != order.id:
        raise Conflict(
            f"{row.at('asn')}: duplicate ASN {number}: already recorded for another purchase order"
        )
    return shipment


def _born(session: Session, actor: str, row: Row, order: PurchaseOrder, shipment: Shipment) -> Asset:
    kind = row.get("kind") or AssetKind.SERVER.value
    if kind not in {k.value for k in AssetKind}:
        raise InvalidInput(f"{row.at('kind')}: {kind!r} is not an asset kind")
    asset = Asset(
        serial=row.values["serial"],
        kind=AssetKind(kind),
        model=row.get("model") or order.item,
        state=AssetState.ORDERED,
        po_id=order.id,
        shipment_id=shipment.id,
        site_id=order.site_id,
        ordered_at=order.ordered_at,
    )
    session.add(asset)
    session.flush()
    lifecycle.history(
        session,
        actor,
        asset,
        None,
        AssetState.ORDERED,
        at=order.ordered_at,
        reason=f"purchase order {order.number}",
    )
    return asset


def _by_serial(session: Session, serial: str) -> Asset | None:
    return session.scalar(select(Asset).where(Asset.serial == serial))


def shipped(session: Session, actor: str, rows: list[Row], mapping: VendorFeed) -> Applied:
    done = Applied()
    for row in rows:
        order = _order(session, row)
        shipment = _shipment(session, row, order, mapping)
        asset = _by_serial(session, row.values["serial"])
        if asset is None:
            if _count(session, order) > order.quantity:
                raise InvalidInput(
                    f"{row.at('serial')}: purchase order {order.number} is for {order.quantity}"
                )
            asset = _born(session, actor, row, order, shipment)
            done.counts["created"] += 1
        elif asset.shipment_id != shipment.id:
            raise Conflict(f"{row.at('serial')}: serial {asset.serial} already shipped under another ASN")
        at = row.date("shipped_at", mapping)
        if fsm.reached(AssetState(asset.state), AssetState.SHIPPED):
            done.counts["unchanged"] += 1
        elif lifecycle.move(
            session, actor, asset, AssetState.SHIPPED, at=at, reason=f"ASN {shipment.number}"
        ):
            done.counts["moved"] += 1
    return done


def _count(session: Session, order: PurchaseOrder) -> int:
    session.flush()
    return len(session.scalars(select(Asset.id).where(Asset.po_id == order.id)).all()) + 1


def delivered(session: Session, actor: str, rows: list[Row], mapping: VendorFeed) -> Applied:
    done = Applied()
    for row in rows:
        order = _order(session, row) if row.get("po") else None
        serial = row.values["serial"]
        asset = _by_serial(session, serial)
        if asset is None:
            raise InvalidInput(f"{row.at('serial')}: unknown serial {serial!r}: no ASN or order lists it")
        if order is not None and asset.po_id != order.id:
            raise InvalidInput(f"{row.at('po')}: serial {serial} was ordered on another purchase order")
        if row.get("site"):
            asset.site_id = orders.site_id(session, row.values["site"], f"{row.source} {row.where}")
        at = row.date("delivered_at", mapping)
        if fsm.reached(AssetState(asset.state), AssetState.DELIVERED):
            done.counts["unchanged"] += 1
            continue
        lifecycle.move(session, actor, asset, AssetState.DELIVERED, at=at, reason=f"delivery ({row.source})")
        done.counts["moved"] += 1
    return done


APPLY = {"asn": shipped, "delivery": delivered}
