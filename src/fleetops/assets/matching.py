"""Purchase order ↔ ASN ↔ invoice: what was ordered, shipped and billed, and where they disagree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets.models import Asset, Invoice, PurchaseOrder

PRICE_TOLERANCE = 0.005  # half a percent: rounding on a vendor's invoice is not a mismatch


@dataclass(frozen=True)
class Mismatch:
    po: str
    kind: str  # quantity, price, serial
    detail: str


def _mismatches(order: PurchaseOrder, shipped: set[str], invoices: list[Invoice]) -> list[Mismatch]:
    found: list[Mismatch] = []
    if shipped and len(shipped) != order.quantity:
        found.append(Mismatch(order.number, "quantity", f"ordered {order.quantity}, shipped {len(shipped)}"))
    for invoice in invoices:
        where = f"invoice {invoice.number}"
        if invoice.quantity != order.quantity:
            found.append(
                Mismatch(
                    order.number, "quantity", f"{where} bills {invoice.quantity}, ordered {order.quantity}"
                )
            )
        expected = invoice.quantity * order.unit_price
        if abs(invoice.amount - expected) > PRICE_TOLERANCE * max(expected, 1.0):
            found.append(
                Mismatch(
                    order.number,
                    "price",
                    f"{where} bills {invoice.amount:.2f}, PO price gives {expected:.2f}",
                )
            )
        unshipped = sorted(set(invoice.serials) - shipped)
        if unshipped:
            found.append(
                Mismatch(
                    order.number, "serial", f"{where} bills serials never shipped: {', '.join(unshipped)}"
                )
            )
    return found


def report(session: Session) -> list[Mismatch]:
    """Every disagreement between each purchase order, its ASNs' serials and its invoices."""
    shipped: dict[int, set[str]] = defaultdict(set)
    for po_id, serial in session.execute(
        select(Asset.po_id, Asset.serial).where(Asset.shipment_id.is_not(None))
    ):
        shipped[po_id].add(serial)
    invoices: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in session.scalars(select(Invoice).order_by(Invoice.number)):
        invoices[invoice.po_id].append(invoice)
    found: list[Mismatch] = []
    for order in session.scalars(select(PurchaseOrder).order_by(PurchaseOrder.number)):
        found += _mismatches(order, shipped[order.id], invoices[order.id])
    return found
