"""The Zip importer against a local Zip over HTTP (key and version headers, next_page_token paging), and
the purchase order ↔ ASN ↔ invoice matching."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from fleetops.adapters.zip.client import ZipClient
from fleetops.adapters.zip.fake import FakeZip
from fleetops.assets import matching, procurement
from fleetops.assets.models import FeedRun, Invoice, PurchaseOrder, Vendor
from fleetops.db.session import Database
from fleetops.errors import ExternalError, InvalidInput
from tests.assets.conftest import import_file

ASN = "ShipmentNo,PONumber,Serial Number,ShipDate\n" + "".join(
    f"ASN-7,PO-7,SN-{i},03/02/2026 10:00\n" for i in range(3)
)


def order(number: str, quantity: int, price: float) -> dict:
    return {
        "id": f"zpo_{number}",
        "po_number": number,
        "vendor": {"id": "zv_1", "name": "dell"},
        "created_at": "2026-03-01T08:00:00Z",
        "ship_to_site": "dfw1",
        "line_items": [{"description": "XE9680", "quantity": quantity, "unit_price": price}],
    }


def invoice(number: str, po: str, quantity: int, price: float, serials: list[str]) -> dict:
    line = {"quantity": quantity, "unit_price": price, "serial_numbers": serials}
    return {
        "id": f"zin_{number}",
        "invoice_number": number,
        "purchase_order": {"po_number": po},
        "line_items": [line],
    }


@pytest.fixture
def zip_api() -> Iterator[FakeZip]:
    with FakeZip() as fake:
        fake.data["vendors"] = [
            {
                "id": "zv_1",
                "name": "dell",
                "created_at": "2026-02-20T00:00:00Z",
                "activated_at": "2026-02-24T00:00:00Z",
            },
            {"id": "zv_2", "name": "supermicro", "created_at": "2026-02-25T00:00:00Z", "activated_at": None},
        ]
        fake.data["purchase_orders"] = [order(f"PO-{i}", 3, 1000.0) for i in range(1, 8)]
        fake.data["invoices"] = [
            invoice("INV-7a", "PO-7", 3, 1000.0, ["SN-0", "SN-1", "SN-2"]),
            invoice("INV-6", "PO-6", 2, 1100.0, ["SN-9"]),
        ]
        yield fake


def run(database: Database, fake: FakeZip, key: str = "zip-test-key") -> dict[str, int]:
    api = ZipClient(fake.url, key, "2024-06-06", page_size=3)
    with database.transaction() as session:
        return procurement.import_all(session, "test", api)


def test_every_page_is_read_with_the_key_and_version_headers(
    fleet: Database, zip_api: FakeZip, manual_clock
) -> None:
    assert run(fleet, zip_api) == {"vendors": 2, "purchase_orders": 7, "invoices": 2}
    orders = [r for r in zip_api.requests if r["path"] == "/purchase_orders"]
    assert [r["query"].get("page_token") for r in orders] == [None, "3", "6"]
    assert {r["headers"]["Zip-Api-Key"] for r in zip_api.requests} == {"zip-test-key"}
    assert {r["headers"]["Zip-Api-Version"] for r in zip_api.requests} == {"2024-06-06"}
    with fleet.transaction() as session:
        dell = session.scalar(select(Vendor).where(Vendor.name == "dell"))
        assert (dell.onboarded_at - dell.onboarding_started_at).days == 4
        assert len(session.scalars(select(PurchaseOrder)).all()) == 7
        assert session.scalar(select(FeedRun.succeeded_at)) == manual_clock.now()
    assert run(fleet, zip_api) == {"vendors": 2, "purchase_orders": 7, "invoices": 2}  # a replay adds nothing
    with fleet.transaction() as session:
        assert len(session.scalars(select(Invoice)).all()) == 2


def test_a_wrong_key_is_an_external_error_and_a_changed_order_is_refused(
    fleet: Database, zip_api: FakeZip
) -> None:
    with pytest.raises(ExternalError, match="zip answered 401") as caught:
        run(fleet, zip_api, key="wrong")
    assert caught.value.retryable is False
    zip_api.fail_next = [503]
    with pytest.raises(ExternalError) as caught:
        run(fleet, zip_api)
    assert caught.value.retryable is True
    run(fleet, zip_api)
    zip_api.data["purchase_orders"][0]["line_items"][0]["quantity"] = 4
    with pytest.raises(Exception, match="purchase order PO-1: field quantity: already recorded as 3"):
        run(fleet, zip_api)
    zip_api.data["purchase_orders"][0] = order("PO-1", 3, 1000.0) | {"line_items": []}
    with pytest.raises(InvalidInput, match="zip purchase_orders record zpo_PO-1: field line_items"):
        run(fleet, zip_api)


def test_quantity_price_and_serial_mismatches_are_reported(
    fleet: Database, zip_api: FakeZip, vendor_settings
) -> None:
    run(fleet, zip_api)
    import_file(fleet, "asn", ASN, vendor="dell")
    with fleet.transaction() as session:
        found = [(m.po, m.kind) for m in matching.report(session)]
        details = [m.detail for m in matching.report(session)]
    assert found == [("PO-6", "quantity"), ("PO-6", "price"), ("PO-6", "serial")]
    assert details[1] == "invoice INV-6 bills 2200.00, PO price gives 2000.00"
    assert details[2] == "invoice INV-6 bills serials never shipped: SN-9"
