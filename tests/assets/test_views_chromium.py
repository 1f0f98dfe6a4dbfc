"""The /assets console page in real headless Chromium at 1440×900: drawn with its chart, no horizontal
overflow, no console error, for staff and for a customer (who sees its own assets only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fleetops import clock, config
from fleetops.assets import breaches, spares
from fleetops.assets.schemas import SpareSet
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.auth.service import create_token
from fleetops.db.session import Database
from tests.assets.conftest import ASN_CSV, import_file, order, vendor_settings  # noqa: F401 - a fixture
from tests.factories import load, two_tenant_fleet
from tests.integration.conftest import browser  # noqa: F401 - the fixture
from tests.integration.console import overflow, quiet_server, watched_page

pytestmark = pytest.mark.integration
ASN_B = "ShipmentNo,PONumber,Serial Number,ShipDate\nASN-B,PO-B,SN-b000,03/02/2026 10:00\n"


def _fill(database: Database) -> dict[str, Any]:
    load(database, two_tenant_fleet())
    order(database)
    import_file(database, "asn", ASN_CSV)
    order(database, "PO-B", quantity=1, site="aus1", cluster="beta")
    import_file(database, "asn", ASN_B)
    with database.transaction() as session:
        for part, stock in (("QSFP-400G", 4), ("PSU-3kW", 40)):
            kind = "optic" if "Q" in part else "psu"
            spare = SpareSet(
                site="dfw1", part=part, kind=kind, stock=stock, reorder_point=10, usage_per_day=1.5
            )
            spares.put(session, SYSTEM, spare)
        breaches.check(session, clock.now() + timedelta(days=30))
        customer = create_token(session, "test", name="initech", role=Role.CUSTOMER, customer_id=1).token
    return {"customer": customer}


def test_the_assets_page_at_1440_for_staff_and_a_customer(
    browser,  # noqa: F811
    tmp_path,
    vendor_settings: config.Settings,  # noqa: F811
) -> None:
    with quiet_server(tmp_path, _fill) as (server, made):
        page, errors = watched_page(browser, server)
        page.click("header nav >> text=Assets")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(tmp_path.parent / "console-assets.png"), full_page=True)
        assert overflow(page) == 0 and errors == []
        assert page.locator("#state-shipped .value").inner_text() == "4"
        assert page.locator("#moves-per-day canvas").count() >= 1  # uPlot drew the chart
        assert page.locator("#sla-breaches tbody tr").count() >= 2
        first = page.locator("#spares tbody tr").first
        assert first.get_attribute("data-part") == "QSFP-400G"  # runs out first

        page, errors = watched_page(browser, server, made["customer"])
        page.goto(f"{server.url}/assets")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(tmp_path.parent / "console-assets-customer.png"), full_page=True)
        assert overflow(page) == 0 and errors == []
        assert page.locator("#state-shipped .value").inner_text() == "3"
        assert page.locator("#sla-timers").count() == 0
        assert "SN-b000" not in page.inner_text("main")
