"""The procurement importer: Zip's vendors, purchase orders and invoices into fleetops, with no typing.

A re-import finds each record by its natural key and changes nothing; a record Zip changed under a key
fleetops already holds is refused naming it (a PO's quantity does not change silently). The import's
time is kept per feed: its age is the procurement-feed-latency timer.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.assets import orders
from fleetops.assets.models import FeedRun, Invoice
from fleetops.assets.schemas import OrderCreate
from fleetops.errors import InvalidInput

SOURCE = "zip"


class Procurement(Protocol):
    def records(self, resource: str) -> Any: ...


def _when(record: dict[str, Any], field: str, where: str) -> datetime | None:
    text = record.get(field)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        raise InvalidInput(f"{where}: field {field}: {text!r} is not a date") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _vendor(session: Session, record: dict[str, Any]) -> None:
    where = f"zip vendors record {record.get('id')}"
    vendor = orders.vendor(session, str(record["name"]))
    vendor.external_id = str(record["id"])
    vendor.onboarding_started_at = _when(record, "created_at", where) or vendor.onboarding_started_at
    vendor.onboarded_at = _when(record, "activated_at", where)


def _order(session: Session, actor: str, record: dict[str, Any]) -> None:
    where = f"zip purchase_orders record {record.get('id')}"
    lines = record.get("line_items") or []
    if len(lines) != 1:
        raise InvalidInput(f"{where}: field line_items: one line per order expected, got {len(lines)}")
    line = lines[0]
    data = {
        "number": record.get("po_number"),
        "vendor": (record.get("vendor") or {}).get("name"),
        "item": line.get("description"),
        "quantity": line.get("quantity"),
        "unit_price": line.get("unit_price"),
        "ordered_at": record.get("created_at"),
        "site": record.get("ship_to_site"),
        "external_id": record.get("id"),
    }
    try:
        order = OrderCreate.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{where}: field {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    orders.create(session, actor, order)


def _invoice(session: Session, record: dict[str, Any]) -> None:
    where = f"zip invoices record {record.get('id')}"
    number = str(record.get("invoice_number") or "")
    if session.scalar(select(Invoice.id).where(Invoice.number == number)) is not None:
        return
    po = (record.get("purchase_order") or {}).get("po_number")
    order = orders.by_number(session, str(po), missing_ok=True)
    if order is None:
        raise InvalidInput(f"{where}: field purchase_order: no purchase order {po!r}")
    lines = record.get("line_items") or []
    session.add(
        Invoice(
            number=number,
            po_id=order.id,
            quantity=sum(int(x.get("quantity", 0)) for x in lines),
            amount=sum(float(x.get("quantity", 0)) * float(x.get("unit_price", 0)) for x in lines),
            serials=[s for x in lines for s in x.get("serial_numbers") or []],
            issued_at=_when(record, "issued_at", where) or clock.now(),
        )
    )


def import_all(session: Session, actor: str, zip_api: Procurement) -> dict[str, int]:
    """Vendors, then purchase orders, then invoices (each names the one before)."""
    counts: Counter[str] = Counter()
    for record in zip_api.records("vendors"):
        _vendor(session, record)
        counts["vendors"] += 1
    for record in zip_api.records("purchase_orders"):
        _order(session, actor, record)
        counts["purchase_orders"] += 1
    session.flush()
    for record in zip_api.records("invoices"):
        _invoice(session, record)
        counts["invoices"] += 1
    mark(session, succeeded=True)
    return dict(counts)


def mark(session: Session, *, succeeded: bool, error: str | None = None) -> None:
    run = session.scalar(select(FeedRun).where(FeedRun.source == SOURCE))
    if run is None:
        run = FeedRun(source=SOURCE)
        session.add(run)
    if succeeded:
        run.succeeded_at = clock.now()
    else:
        run.failed_at, run.error = clock.now(), (error or "")[:500]
