"""One bad GPU among 16,000 is visible on the landing page, in Chromium at 1440×900, without scrolling."""

from __future__ import annotations

import pytest

from tests.integration.console import HEIGHT, WIDTH, overflow, quiet_server, watched_page
from tests.web.fleets import simulated_fleet

pytestmark = pytest.mark.integration


def test_the_single_bad_gpu_of_a_2000_node_fleet_shows_above_the_fold(browser, tmp_path):
    with quiet_server(tmp_path, lambda db: simulated_fleet(db, 2000, bad=700)) as (server, hosts):
        page, errors = watched_page(browser, server)
        page.wait_for_load_state("networkidle")
        assert page.inner_text("h1").startswith("Fleet overview 2,000 nodes · 16,000 GPUs")
        cell = page.locator(f'#health-map [data-node="{hosts[700]}"]')
        box = cell.bounding_box()
        assert box is not None and box["width"] >= 5 and box["height"] >= 4
        assert 0 <= box["x"] <= WIDTH - box["width"] and 0 <= box["y"] <= HEIGHT - box["height"]
        assert cell.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(200, 50, 50)"
        assert page.locator("#health-map [data-node]").count() == 1
        assert page.inner_text("#attn-gpus .value") == "1"
        page.screenshot(path=str(tmp_path.parent / "console-landing-2000.png"))
        assert overflow(page) == 0 and errors == []
