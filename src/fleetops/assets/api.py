"""`/api/v1/assets`: assets and their history, lifecycle moves, purchase orders, spares, feeds.

Thin: parse, call one service function, return a schema. Staff see every asset, a supplier those at its
sites, a customer those bought for or running in its clusters (decided in the query); writes are for
admins and operators.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from fleetops import clock
from fleetops.adapters.zip.client import ZipClient
from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.api.types import Cursor
from fleetops.assets import (
    breaches,
    cabling,
    intake,
    matching,
    netbox_service,
    procurement,
    repairs,
    schemas,
    service,
    spares,
    tracking,
)
from fleetops.assets.choices import AssetState
from fleetops.assets.schemas import (
    AssetDetail,
    AssetRead,
    MoveRequest,
    OrderCreate,
    OrderRead,
    SpareRead,
    SpareSet,
)
from fleetops.config import settings
from fleetops.db.session import get_database
from fleetops.errors import NotConfigured

router = APIRouter(prefix="/api/v1/assets", tags=["assets"])
Feed = Literal["asn", "delivery"]


class FileUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    format: Literal["csv", "json"]
    content: str
    vendor: str | None = None


@router.get("", response_model=list[AssetRead], summary="Assets, oldest first (page with after_id)")
def list_assets(
    session: SessionDep,
    principal: PrincipalDep,
    state: AssetState | None = None,
    po: str | None = None,
    after_id: Cursor = 0,
    limit: int = Query(100, ge=1, le=1000),
) -> list[AssetRead]:
    return service.list_assets(session, principal, state=state, po=po, after_id=after_id, limit=limit)


@router.get("/orders", response_model=list[OrderRead], summary="Purchase orders")
def list_orders(session: SessionDep, principal: PrincipalDep) -> list[OrderRead]:
    return service.list_orders(session, principal)


@router.post("/orders", response_model=OrderRead, status_code=201, summary="Record a purchase order")
def create_order(data: OrderCreate, session: SessionDep, principal: PrincipalDep) -> OrderRead:
    return service.create_order(session, principal, data)


@router.get("/spares", response_model=list[SpareRead], summary="Spares per site, soonest stockout first")
def list_spares(session: SessionDep, principal: PrincipalDep, site: str | None = None) -> list[SpareRead]:
    return spares.listed(session, principal, site)


@router.put("/spares", response_model=SpareRead, summary="Set a site's stock of one part")
def put_spare(data: SpareSet, session: SessionDep, principal: PrincipalDep) -> SpareRead:
    return spares.put(session, principal, data)


@router.post("/feeds/{feed}", summary="Import an ASN or delivery file (all of it or none)")
def import_file(
    feed: Feed, upload: FileUpload, session: SessionDep, principal: PrincipalDep
) -> dict[str, int]:
    return intake.import_file(
        session, principal, feed, upload.vendor, upload.source, upload.format, upload.content
    )


@router.post("/events/{feed}", summary="Shipping or delivery events as records in the vendor's names")
def post_events(
    feed: Feed,
    records: list[dict[str, object]],
    session: SessionDep,
    principal: PrincipalDep,
    vendor: str | None = None,
) -> dict[str, int]:
    return intake.import_records(session, principal, feed, vendor, records)


@router.post("/procurement/import", summary="Import vendors, purchase orders and invoices from Zip")
def import_procurement(session: SessionDep, principal: PrincipalDep) -> dict[str, int]:
    principal.require_writer()
    zip_settings = settings().assets.zip
    if zip_settings is None:
        raise NotConfigured("procurement: no [assets.zip] settings (url, api_key)")
    api = ZipClient(zip_settings.url, zip_settings.api_key.get_secret_value(), zip_settings.api_version)
    try:
        return procurement.import_all(session, principal.actor, api)
    finally:
        api.close()


@router.get("/matching", summary="Purchase order ↔ ASN ↔ invoice mismatches (quantity, price, serial)")
def list_mismatches(session: SessionDep, principal: PrincipalDep) -> list[dict[str, str]]:
    principal.require_staff()
    return [vars(m) for m in matching.report(session)]


@router.post(
    "/cabling",
    summary="Import a cabling plan file (all of it or none); the sync pushes it to NetBox",
    response_model=schemas.CablingImported,
)
def import_cabling(
    upload: schemas.CablingUpload, session: SessionDep, principal: PrincipalDep
) -> dict[str, int]:
    principal.require_writer()
    return cabling.import_file(session, principal.actor, upload.source, upload.format, upload.content)


class RepairCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hostname: str
    reason: str = Field(min_length=1, max_length=500)


@router.post(
    "/repairs",
    status_code=201,
    summary="Open a repair ticket; it goes to the site's team",
    response_model=schemas.RepairOpened,
)
def open_repair(data: RepairCreate, session: SessionDep, principal: PrincipalDep) -> dict[str, object]:
    ticket = repairs.open_ticket(session, principal, data.hostname, data.reason)
    return {"id": ticket.id, "opened_at": ticket.opened_at, "alert_fingerprint": ticket.alert_fingerprint}


@router.get(
    "/repairs",
    summary="Repair tickets, newest first, with when and to whom each was routed",
    response_model=list[schemas.RepairRead],
)
def list_repairs(session: SessionDep, principal: PrincipalDep) -> list[dict[str, object]]:
    principal.require_staff()
    return repairs.listed(session)


@router.get("/repairs/time-to-route", summary="Ticket to a team's outbox: median, p99, worst (seconds)")
def time_to_route(session: SessionDep, principal: PrincipalDep) -> dict[str, float | int | None]:
    principal.require_staff()
    repairs.mark_routed(session)
    return repairs.time_to_route(session)


@router.get(
    "/sla",
    summary="SLA timers: every running or breached clock, and the breaches found",
    response_model=schemas.SlaStatus,
)
def sla_status(session: SessionDep, principal: PrincipalDep) -> dict[str, object]:
    principal.require_staff()
    return breaches.status(session, clock.now())


@router.post("/netbox/sync", summary="Push fleetops' model to NetBox now (counts of what was written)")
def netbox_sync(principal: PrincipalDep) -> dict[str, int]:
    principal.require_writer()
    return netbox_service.sync(get_database(), principal.actor)


@router.get(
    "/netbox/drift",
    summary="fleetops vs NetBox: every drift, counts by kind, completeness per pod",
    response_model=schemas.DriftReport,
)
def netbox_drift(session: SessionDep, principal: PrincipalDep) -> dict[str, object]:
    principal.require_staff()
    return netbox_service.drift_report(session)


class BoardSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cluster: str
    issue_key: str


@router.put("/boards", summary="Link a cluster to its customer-engineering Jira board issue")
def set_board(data: BoardSet, session: SessionDep, principal: PrincipalDep) -> dict[str, str]:
    return tracking.set_board(session, principal, data.cluster, data.issue_key)


@router.get(
    "/trackability",
    summary="Active clusters lacking a board issue, customer, supplier or contract",
    response_model=schemas.Trackability,
)
def trackability(session: SessionDep, principal: PrincipalDep) -> dict[str, object]:
    principal.require_staff()
    return tracking.report(session)


@router.get("/{serial}", response_model=AssetDetail, summary="One asset with its lifecycle history")
def get_asset(serial: str, session: SessionDep, principal: PrincipalDep) -> AssetDetail:
    return service.get_asset(session, principal, serial)


@router.post("/{serial}/move", response_model=AssetDetail, summary="Move an asset along its lifecycle")
def move(serial: str, request: MoveRequest, session: SessionDep, principal: PrincipalDep) -> AssetDetail:
    return service.move(session, principal, serial, request)
