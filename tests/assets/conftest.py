"""Asset fixtures: the two-tenant fleet with a vendor mapping, a purchase order and its ASN."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetops import config
from fleetops.adapters.netbox.client import NetboxClient
from fleetops.adapters.netbox.fake import FakeNetbox
from fleetops.assets import intake, netbox_service, orders, views
from fleetops.assets.schemas import OrderCreate
from fleetops.auth.principal import SYSTEM
from fleetops.db.session import Database

ORDERED = datetime(2026, 3, 1, tzinfo=UTC)
VENDOR_TOML = """
[fleetops.assets.vendors.dell.fields]
asn = "ShipmentNo"
po = "PONumber"
serial = "Serial Number"
model = "Model"
shipped_at = "ShipDate"
delivered_at = "DeliveredOn"
site = "Site"

[fleetops.assets.vendors.dell]
date_format = "%m/%d/%Y %H:%M"
"""
# The servers of cluster alpha (tests/factories.py): serials SN-a000.. at site dfw1.
ASN_CSV = (
    "ShipmentNo,PONumber,Serial Number,Model,ShipDate\n"
    "ASN-1,PO-1,SN-a000,XE9680,03/02/2026 10:00\n"
    "ASN-1,PO-1,SN-a001,XE9680,03/02/2026 10:00\n"
    "ASN-1,PO-1,SN-a002,XE9680,03/02/2026 10:00\n"
)
DELIVERY_CSV = (
    "Serial Number,PONumber,Site,DeliveredOn\n"
    "SN-a000,PO-1,dfw1,03/05/2026 09:00\n"
    "SN-a001,PO-1,dfw1,03/05/2026 09:30\n"
)


@pytest.fixture
def vendor_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> config.Settings:
    """Settings read from a real TOML file with Dell's field mapping."""
    path = tmp_path / "fleetops.toml"
    path.write_text(VENDOR_TOML)
    loaded = config.load(path)
    monkeypatch.setattr(intake, "settings", lambda: loaded)
    return loaded


def order(database: Database, number: str = "PO-1", quantity: int = 3, **extra: object) -> None:
    data = {
        "number": number,
        "vendor": "dell",
        "item": "XE9680",
        "quantity": quantity,
        "unit_price": 250_000.0,
    }
    data |= {"ordered_at": ORDERED, "site": "dfw1", "cluster": "alpha"} | extra
    with database.transaction() as session:
        orders.create(session, "test", OrderCreate.model_validate(data))


def import_file(
    database: Database, feed: str, text: str, source: str = "dell.csv", vendor: str = "dell"
) -> dict:
    with database.transaction() as session:
        return intake.import_file(session, SYSTEM, feed, vendor, source, "csv", text)


@pytest.fixture
def shipped(fleet: Database, vendor_settings: config.Settings) -> Iterator[Database]:
    """PO-1 for alpha's three servers, shipped under ASN-1."""
    order(fleet)
    import_file(fleet, "asn", ASN_CSV)
    yield fleet


NETBOX_TOML = (
    '\n[fleetops.assets.netbox]\nurl = "http://netbox.test"\ntoken = "nbt_k.t"\nbatch = 10\nconcurrency = 2\n'
)


@pytest.fixture
def fake_netbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeNetbox:
    """[assets.netbox] read from a real TOML file; the client it makes talks to the fake."""
    path = tmp_path / "netbox.toml"
    path.write_text(VENDOR_TOML + NETBOX_TOML)
    loaded = config.load(path)
    for reader in (netbox_service, views):  # the sync and drift, and the console's page
        monkeypatch.setattr(reader, "settings", lambda: loaded)
    fake = FakeNetbox()
    made = netbox_service.client

    def client() -> NetboxClient:
        real = made()  # what the settings made: the same address and token
        assert str(real.http.base_url) == "http://netbox.test/api/"
        assert real.http.headers["Authorization"] == "Bearer nbt_k.t"
        real.close()
        return NetboxClient("http://netbox.test", "nbt_k.t", transport=fake)

    monkeypatch.setattr(netbox_service, "client", client)
    return fake
