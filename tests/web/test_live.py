"""Live without reload: each live page names a fragment URL and how often, and the fragment is the same
content without the page's frame, scoped like the page."""

from __future__ import annotations

import re

import pytest

from tests.health.reports import body, report, xid

PAGES = {
    "/": "/live/landing",
    "/health": "/live/health",
    "/incidents": "/live/incidents",
    "/remediation": "/remediation/runs",
}


@pytest.mark.parametrize(("page", "fragment"), PAGES.items())
def test_each_live_page_polls_its_fragment(as_role, fleet, page, fragment):
    viewer = as_role("viewer")
    html = viewer.get(page).text
    assert re.search(rf'data-live="{re.escape(fragment)}" data-every="\d+"', html)
    assert '<script src="/static/live.js" defer></script>' in html
    part = viewer.get(fragment)
    assert part.status_code == 200 and "<header>" not in part.text and "<html" not in part.text


def test_fragments_are_scoped_like_their_pages(client, as_role, fleet, tokens):
    sick = [report("a000", xids=[xid(79)]), report("b000", xids=[xid(79)])]
    client.post("/api/v1/health/reports", content=body(*sick), headers=tokens["admin"])
    for fragment in ("/live/landing", "/live/health"):
        html = as_role("umbrella").get(fragment).text
        assert "b000" in html and "a000" not in html
    assert as_role("viewer").get("/live/health", follow_redirects=False).status_code == 200
    client.cookies.clear()
    assert client.get("/live/health", follow_redirects=False).status_code == 303
