"""Spares and consumables per site: stock, reorder point, usage rate, and the day stock runs out."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.assets.models import Spare
from fleetops.assets.orders import site_id
from fleetops.assets.schemas import SpareRead, SpareSet
from fleetops.audit.service import Change, record
from fleetops.auth.principal import Principal
from fleetops.inventory.models import Site


def projected_stockout(stock: int, usage_per_day: float, today: date) -> date | None:
    """The day the last unit goes at the current rate; None when nothing is used."""
    if usage_per_day <= 0:
        return None
    return today + timedelta(days=int(stock / usage_per_day))


def put(session: Session, principal: Principal, data: SpareSet) -> SpareRead:
    principal.require_writer()
    where = site_id(session, data.site, f"spare {data.part}")
    row = session.scalar(select(Spare).where(Spare.site_id == where, Spare.part == data.part))
    values = data.model_dump(exclude={"site"})
    if row is None:
        row = Spare(site_id=where, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    record(session, principal.actor, Change("asset.spare", "spare", f"{data.site}/{data.part}", values))
    return _read(data.site, row)


def _read(site: str, row: Spare) -> SpareRead:
    return SpareRead(
        site=site,
        part=row.part,
        kind=row.kind,
        stock=row.stock,
        reorder_point=row.reorder_point,
        usage_per_day=row.usage_per_day,
        projected_stockout=projected_stockout(row.stock, row.usage_per_day, clock.now().date()),
        reorder=row.stock <= row.reorder_point,
    )


def listed(session: Session, principal: Principal, site: str | None = None) -> list[SpareRead]:
    """Spares soonest to run out first; a supplier sees its own sites' only."""
    stmt = select(Site.name, Spare).join(Site, Site.id == Spare.site_id)
    if principal.role.tenant_scoped:
        stmt = stmt.where(Site.supplier_id == principal.supplier_id)
    if site is not None:
        stmt = stmt.where(Site.name == site)
    rows = [_read(name, spare) for name, spare in session.execute(stmt.order_by(Site.name, Spare.part))]
    return sorted(rows, key=lambda r: (r.projected_stockout or date.max, r.site, r.part))
