"""The scorecard, presales, goals and ClusterMAX pages in Chromium at 1440×900: a screenshot of each, no
horizontal overflow, no console error, and the uPlot trend charts drawn (a canvas per metric, and one per
key result's weekly history on the goals page)."""

from __future__ import annotations

from typing import Any

import pytest

from fleetops.db.session import Database
from fleetops.okr.keyresults import default_key_results
from fleetops.suppliers.thresholds import METRICS
from tests.factories import load, two_tenant_fleet
from tests.integration.console import overflow, quiet_server, watched_page

pytestmark = pytest.mark.integration
PAGES = {
    "scorecards": "/scorecards",
    "scorecard": "/scorecards/acme",
    "presales": "/scorecards/acme/export.html",
    "goals": "/okr",
    "clustermax": "/clustermax",
    "clustermax-cluster": "/clustermax/alpha",
}


def _fill(database: Database) -> None:
    load(database, two_tenant_fleet(nodes_per_cluster=8))


def test_scorecard_goals_and_readiness_pages_at_1440(browser: Any, tmp_path) -> None:
    with quiet_server(tmp_path, _fill) as (server, _):
        page, errors = watched_page(browser, server)
        failed: list[str] = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        for name, path in PAGES.items():
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            assert overflow(page) == 0, f"{path} overflows by {overflow(page)} px"
            page.screenshot(path=str(tmp_path / f"console-{name}.png"), full_page=True)
        page.goto(server.url + "/scorecards/acme")
        page.wait_for_selector("#trend-uptime_pct canvas")
        assert page.locator("figure.chart canvas").count() >= len(METRICS)
        page.goto(server.url + "/okr")  # each key result's weekly history with its target line
        page.wait_for_selector("#kr-history-gpus_per_hour canvas")
        assert page.locator("figure.chart canvas").count() == len(default_key_results())
        # the self-contained presales page links no icon: Chromium asks for /favicon.ico, nothing else fails
        assert set(failed) <= {server.url + "/favicon.ico"}
        presales = server.url + PAGES["presales"]
        assert [e for e in errors if not e.startswith(presales + ": Failed to load resource")] == []
