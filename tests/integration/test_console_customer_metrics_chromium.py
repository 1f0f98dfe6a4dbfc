"""The customer's metrics page in Chromium at 1440×900 over a real Prometheus scraping the agents' real
/metrics endpoints (tests/integration/prometheus_bed.py): the charts draw, each with the customer's own
numbers read through the tenant proxy, no horizontal overflow, no browser console error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fleetops.addons import service
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.auth.service import create_token
from fleetops.db.session import Database
from tests.factories import load, two_tenant_fleet
from tests.integration.console import overflow, quiet_server, watched_page
from tests.integration.prometheus_bed import MISSING, NODE_EXPORTER, PROMETHEUS, Bed, prometheus_bed

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not (PROMETHEUS and NODE_EXPORTER), reason=MISSING)]
HOSTS = {f"a{i:03d}": 40.0 for i in range(3)} | {
    f"b{i:03d}": 80.0 for i in range(3)
}  # GPU i reads base + i °C


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bed]:
    with prometheus_bed(tmp_path_factory.mktemp("metrics-page"), two_tenant_fleet(3), HOSTS, []) as made:
        yield made


def _fill(database: Database) -> str:
    """The bed's fleet; initech runs advanced metrics on alpha. Returns initech's token."""
    load(database, two_tenant_fleet(3))
    with database.transaction() as session:
        service.change(session, SYSTEM, "alpha", "advanced-metrics", service.AddonChange(enabled=True))
        return create_token(session, "test", name="initech", role=Role.CUSTOMER, customer_id=1).token


def _label(page: Any, chart: str) -> str:
    return page.get_attribute(f"#metric-{chart} .plot", "aria-label") or ""


def test_a_customer_sees_its_fleet_health_as_charts(browser, bed, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FLEETOPS_OBSERVABILITY__PROMETHEUS_URL", bed.url)  # read by the served console
    with quiet_server(tmp_path, _fill) as (server, initech):
        page, errors = watched_page(browser, server, initech)
        page.goto(f"{server.url}/customer-metrics?window=15m")
        page.wait_for_selector("#metric-temperature canvas")
        assert page.locator("figure.chart canvas").count() == 6
        assert overflow(page) == 0, f"overflows by {overflow(page)} px"
        page.screenshot(path=str(tmp_path / "console-customer-metrics.png"), full_page=True)
        assert "Healthy latest 24.0" in _label(page, "gpus")  # 3 nodes × 8 GPUs, no ECC error
        assert _label(page, "coverage").endswith("Coverage latest 100.0")
        assert _label(page, "temperature").endswith("alpha latest 47.0")  # hottest: 40 + GPU 7
        assert "beta" not in page.content() and "87.0" not in page.content()  # umbrella's stay its own
        staff, staff_errors = watched_page(browser, server)
        staff.goto(f"{server.url}/customer-metrics?customer=umbrella&window=15m")
        staff.wait_for_selector("#metric-gpus canvas")
        assert (
            "Healthy latest 24.0" in _label(staff, "gpus")
            and staff.locator("#metric-temperature").count() == 0
        )
        assert overflow(staff) == 0
        staff.screenshot(path=str(tmp_path / "console-customer-metrics-staff.png"), full_page=True)
        assert errors == [] and staff_errors == []
