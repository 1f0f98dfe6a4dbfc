"""Asset use-cases for the API, CLI and console: scoped reads, lifecycle moves, purchase orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.assets import lifecycle, orders
from fleetops.assets.choices import AssetState
from fleetops.assets.models import Asset, AssetTransition, PurchaseOrder, Shipment
from fleetops.assets.schemas import (
    AssetDetail,
    AssetRead,
    MoveRequest,
    OrderCreate,
    OrderRead,
    TransitionRead,
)
from fleetops.assets.scope import visible
from fleetops.auth.principal import Principal
from fleetops.errors import InvalidInput, NotFound
from fleetops.inventory.models import Node, Site

MAX_LIMIT = 1000


def _view(principal: Principal) -> Select[Any]:
    stmt = (
        select(Asset, PurchaseOrder.number, Shipment.number, Site.name, Node.hostname)
        .join(PurchaseOrder, PurchaseOrder.id == Asset.po_id)
        .outerjoin(Shipment, Shipment.id == Asset.shipment_id)
        .outerjoin(Site, Site.id == Asset.site_id)
        .outerjoin(Node, Node.id == Asset.node_id)
    )
    rule = visible(principal)
    return stmt if rule is None else stmt.where(rule)


def _read(row: Any) -> AssetRead:
    asset, po, asn, site, hostname = row
    fields = {name: getattr(asset, name) for name in AssetRead.model_fields if hasattr(asset, name)}
    return AssetRead.model_validate(fields | {"po": po, "asn": asn, "site": site, "hostname": hostname})


def list_assets(
    session: Session,
    principal: Principal,
    *,
    state: AssetState | None = None,
    po: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[AssetRead]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit}: must be between 1 and {MAX_LIMIT}")
    stmt = _view(principal).where(Asset.id > after_id)
    if state is not None:
        stmt = stmt.where(Asset.state == state)
    if po is not None:
        stmt = stmt.where(PurchaseOrder.number == po)
    return [_read(row) for row in session.execute(stmt.order_by(Asset.id).limit(limit))]


def _row(session: Session, principal: Principal, serial: str) -> Any:
    row = session.execute(_view(principal).where(Asset.serial == serial)).first()
    if row is None:  # another tenant's asset reads exactly like a missing one
        raise NotFound(f"asset {serial}: no such asset")
    return row


def get_asset(session: Session, principal: Principal, serial: str) -> AssetDetail:
    row = _row(session, principal, serial)
    history = session.scalars(
        select(AssetTransition).where(AssetTransition.asset_id == row[0].id).order_by(AssetTransition.id)
    )
    read = _read(row).model_dump()
    return AssetDetail(**read, history=[TransitionRead.model_validate(t) for t in history])


def move(session: Session, principal: Principal, serial: str, request: MoveRequest) -> AssetDetail:
    """An operator's move (received, racked, deployed, repair, RMA, retired); the table decides."""
    principal.require_writer()
    asset = _row(session, principal, serial)[0]
    if request.site is not None:
        asset.site_id = orders.site_id(session, request.site, f"asset {serial}")
    at = request.at or clock.now()
    lifecycle.move(session, principal.actor, asset, request.state, at=at, reason=request.reason)
    return get_asset(session, principal, serial)


def create_order(session: Session, principal: Principal, data: OrderCreate) -> OrderRead:
    principal.require_writer()
    return orders.read(session, orders.create(session, principal.actor, data))


def list_orders(session: Session, principal: Principal) -> list[OrderRead]:
    principal.require_staff()
    return [
        orders.read(session, o) for o in session.scalars(select(PurchaseOrder).order_by(PurchaseOrder.id))
    ]
