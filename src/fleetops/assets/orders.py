"""Purchase orders and vendors: the start of every asset's life."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.assets.models import PurchaseOrder, Vendor
from fleetops.assets.schemas import OrderCreate, OrderRead
from fleetops.audit.service import Change, record
from fleetops.errors import Conflict, InvalidInput, NotFound
from fleetops.inventory.models import Cluster, Site


def vendor(session: Session, name: str) -> Vendor:
    """The vendor of this name; a new one starts its onboarding clock now."""
    row = session.scalar(select(Vendor).where(Vendor.name == name))
    if row is None:
        row = Vendor(name=name, onboarding_started_at=clock.now())
        session.add(row)
        session.flush()
    return row


def site_id(session: Session, name: str | None, where: str) -> int | None:
    if name is None:
        return None
    found = session.scalar(select(Site.id).where(Site.name == name))
    if found is None:
        raise InvalidInput(f"{where}: field site: no site named {name!r}")
    return found


def cluster_id(session: Session, name: str | None, where: str) -> int | None:
    if name is None:
        return None
    found = session.scalar(select(Cluster.id).where(Cluster.name == name))
    if found is None:
        raise InvalidInput(f"{where}: field cluster: no cluster named {name!r}")
    return found


def create(session: Session, actor: str, data: OrderCreate) -> PurchaseOrder:
    """A new purchase order; the same order again changes nothing, a different one under its number is a
    conflict naming the field that differs."""
    where = f"purchase order {data.number}"
    fields = {
        "vendor_id": vendor(session, data.vendor).id,
        "site_id": site_id(session, data.site, where),
        "cluster_id": cluster_id(session, data.cluster, where),
        "item": data.item,
        "quantity": data.quantity,
        "unit_price": data.unit_price,
        "ordered_at": data.ordered_at,
        "external_id": data.external_id,
    }
    existing = by_number(session, data.number, missing_ok=True)
    if existing is not None:
        for name, value in fields.items():
            if name != "external_id" and getattr(existing, name) != value:
                raise Conflict(f"{where}: field {name}: already recorded as {getattr(existing, name)!r}")
        return existing
    order = PurchaseOrder(number=data.number, **fields)
    session.add(order)
    session.flush()
    record(session, actor, Change("asset.order", "purchase_order", data.number, data.model_dump(mode="json")))
    return order


def by_number(session: Session, number: str, *, missing_ok: bool = False) -> PurchaseOrder | None:
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number))
    if order is None and not missing_ok:
        raise NotFound(f"purchase order {number}: no such purchase order")
    return order


def read(session: Session, order: PurchaseOrder) -> OrderRead:
    names = {
        "vendor": session.get(Vendor, order.vendor_id).name,  # type: ignore[union-attr]
        "site": session.scalar(select(Site.name).where(Site.id == order.site_id)),
        "cluster": session.scalar(select(Cluster.name).where(Cluster.id == order.cluster_id)),
    }
    return OrderRead.model_validate(
        {**{c: getattr(order, c) for c in OrderRead.model_fields if c not in names}, **names}
    )
