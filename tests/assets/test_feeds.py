"""ASN and delivery files through a vendor's mapping: applied whole, refused whole, replayed harmlessly."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fleetops.assets.models import Asset, AssetTransition, Shipment
from fleetops.audit.models import AuditEvent
from fleetops.db.session import Database
from fleetops.errors import Conflict, InvalidInput
from tests.assets.conftest import ASN_CSV, DELIVERY_CSV, import_file, order


def counts(database: Database) -> tuple[int, ...]:
    with database.transaction() as session:
        tables = (Asset, AssetTransition, Shipment, AuditEvent)
        return tuple(session.scalar(select(func.count()).select_from(t)) or 0 for t in tables)


def states(database: Database) -> dict[str, str]:
    with database.transaction() as session:
        return {a.serial: a.state.value for a in session.scalars(select(Asset))}


def test_an_asn_creates_the_assets_and_a_delivery_moves_them(shipped: Database) -> None:
    assert states(shipped) == {"SN-a000": "shipped", "SN-a001": "shipped", "SN-a002": "shipped"}
    assert import_file(shipped, "delivery", DELIVERY_CSV) == {"created": 0, "moved": 2, "unchanged": 0}
    assert states(shipped)["SN-a000"] == "delivered" and states(shipped)["SN-a002"] == "shipped"
    with shipped.transaction() as session:
        asset = session.scalar(select(Asset).where(Asset.serial == "SN-a001"))
        assert asset.delivered_at.isoformat() == "2026-03-05T09:30:00+00:00"
        assert asset.shipped_at.isoformat() == "2026-03-02T10:00:00+00:00"
        moves = session.scalars(select(AssetTransition.to_state).where(AssetTransition.asset_id == asset.id))
        assert list(moves) == ["ordered", "shipped", "delivered"]


def test_reimporting_the_same_files_changes_nothing(shipped: Database) -> None:
    import_file(shipped, "delivery", DELIVERY_CSV)
    before = counts(shipped)
    assert import_file(shipped, "asn", ASN_CSV) == {"created": 0, "moved": 0, "unchanged": 3}
    assert import_file(shipped, "delivery", DELIVERY_CSV) == {"created": 0, "moved": 0, "unchanged": 2}
    assert counts(shipped) == before


BAD = [
    (
        "delivery",
        "Serial Number,PONumber,DeliveredOn\nSN-a000,PO-1,03/05/2026 09:00\nSN-nope,PO-1,03/05/2026 09:00\n",
        InvalidInput,
        "late.csv line 3: field Serial Number: unknown serial 'SN-nope'",
    ),
    (
        "delivery",
        "Serial Number,PONumber,DeliveredOn\nSN-a000,PO-1,03/05/2026 09:00\nSN-a001,PO-9,03/05/2026 09:00\n",
        InvalidInput,
        "late.csv line 3: field PONumber: no purchase order 'PO-9'",
    ),
    (
        "delivery",
        "Serial Number,PONumber,DeliveredOn\nSN-a000,PO-1,03/05/2026 09:00\nSN-a001,PO-1,2026-13-45\n",
        InvalidInput,
        "late.csv line 3: field DeliveredOn: '2026-13-45' is not a date (%m/%d/%Y %H:%M)",
    ),
    (
        "delivery",
        "Serial Number,PONumber,DeliveredOn,Carrier\nSN-a000,PO-1,03/05/2026 09:00,UPS\n",
        InvalidInput,
        "late.csv line 2: field Carrier: not in the delivery mapping",
    ),
    (
        "asn",
        "ShipmentNo,PONumber,Serial Number,ShipDate\nASN-2,PO-2,SN-b000,03/02/2026 10:00\n"
        "ASN-1,PO-2,SN-b001,03/02/2026 10:00\n",
        Conflict,
        "late.csv line 3: field ShipmentNo: duplicate ASN ASN-1",
    ),
    (
        "asn",
        "ShipmentNo,PONumber,Serial Number,ShipDate\nASN-2,PO-2,SN-a000,03/02/2026 10:00\n",
        Conflict,
        "late.csv line 2: field Serial Number: serial SN-a000 already shipped under another ASN",
    ),
]


@pytest.mark.parametrize("feed,text,error,said", BAD, ids=[b[3].split(": ", 2)[2][:30] for b in BAD])
def test_bad_input_is_refused_naming_file_line_and_field_and_nothing_is_applied(
    shipped: Database, feed: str, text: str, error: type[Exception], said: str
) -> None:
    order(shipped, "PO-2", site="aus1", cluster="beta")
    before, was = counts(shipped), states(shipped)
    with pytest.raises(error) as caught:
        import_file(shipped, feed, text, source="late.csv")
    assert str(caught.value).startswith(said), str(caught.value)
    assert counts(shipped) == before and states(shipped) == was  # the good first row was not kept either


def test_an_asn_for_more_units_than_ordered_is_refused(shipped: Database) -> None:
    order(shipped, "PO-2", quantity=1, site="aus1")
    rows = [
        "ShipmentNo,PONumber,Serial Number,ShipDate",
        "ASN-2,PO-2,X1,03/02/2026 10:00",
        "ASN-2,PO-2,X2,03/02/2026 10:00",
    ]
    text = "\n".join(rows) + "\n"
    with pytest.raises(InvalidInput, match="line 3: field Serial Number: purchase order PO-2 is for 1"):
        import_file(shipped, "asn", text)


def test_an_unknown_vendor_is_refused_naming_the_setting(shipped: Database) -> None:
    with pytest.raises(
        InvalidInput, match=r"vendor 'hp': no field mapping in \[assets.vendors\] \(known: dell\)"
    ):
        import_file(shipped, "asn", ASN_CSV, vendor="hp")
