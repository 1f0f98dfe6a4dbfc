"""Swagger UI and ReDoc in real headless Chromium with no way out: every request that is not to the
fleetops server is refused and recorded, and the API reference still renders (an air-gapped control
plane, or an operator's browser that should not be sent to a CDN)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.integration


def offline_page(browser: Any) -> tuple[Any, list[str]]:
    """A page whose requests to anywhere but 127.0.0.1 are aborted; returns it and the list they land in."""
    page = browser.new_page()
    elsewhere: list[str] = []

    def only_here(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", only_here)
    return page, elsewhere


def test_swagger_ui_lists_the_operations_with_no_network(browser, fleetops_server):
    page, elsewhere = offline_page(browser)
    page.goto(f"{fleetops_server.url}/docs")
    # Swagger UI keeps only the operations near the viewport in the page once the document is large (156
    # operations): scroll through it and collect the paths it draws.
    page.wait_for_selector(".opblock-summary", timeout=20_000)
    seen: set[str] = set()
    for _ in range(200):
        seen.update(page.locator(".opblock-summary-path").all_inner_texts())
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(50)
    assert len(seen) > 50 and "/api/v1/health/reports" in seen
    assert page.locator(".info .title").inner_text().startswith("fleetops")
    page.wait_for_load_state("networkidle")
    assert elsewhere == []


def test_redoc_renders_the_reference_with_no_network(browser, fleetops_server):
    page, elsewhere = offline_page(browser)
    page.goto(f"{fleetops_server.url}/redoc")
    page.wait_for_selector("h2 >> text=Ingest agent reports", timeout=30_000)
    assert page.locator("[role=menuitem]").count() > 50
    page.wait_for_load_state("networkidle")
    assert elsewhere == []
