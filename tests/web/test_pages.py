"""The cluster page (nodes with health, sorted and filtered) and the rack grid (a cell per GPU)."""

from __future__ import annotations

import re

from tests.health.reports import body, report, xid


def _sick(client, tokens):
    reports = [report("a001", xids=[xid(79, index=6)]), report("a000"), report("a002")]
    client.post("/api/v1/health/reports", content=body(*reports), headers=tokens["admin"])


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr><td><a href="/nodes/(\w+)">', html.split('id="nodes"')[1])


def test_cluster_nodes_sort_and_filter_by_health(client, as_role, fleet, tokens):
    _sick(client, tokens)
    page = as_role("initech")
    assert _rows(page.get("/clusters/alpha").text) == ["a000", "a001", "a002"]
    assert _rows(page.get("/clusters/alpha", params={"sort": "health"}).text)[0] == "a001"
    assert _rows(page.get("/clusters/alpha", params={"health": "healthy"}).text) == ["a000", "a002"]
    assert _rows(page.get("/clusters/alpha", params={"q": "a002"}).text) == ["a002"]
    assert _rows(page.get("/clusters/alpha", params={"sort": "hostname", "desc": "true"}).text)[0] == "a002"
    assert page.get("/clusters/beta").status_code == 404
    assert as_role("globex").get("/clusters/alpha").status_code == 404


def test_rack_grid_colours_each_gpu(client, as_role, fleet, tokens):
    _sick(client, tokens)
    html = as_role("acme").get("/racks/dfw1/r01").text
    assert re.search(r'<a class="gpu red" href="/nodes/a001#gpu-6"', html)
    assert html.count('class="gpu green"') == 23
    assert as_role("globex").get("/racks/dfw1/r01").status_code == 404
    assert as_role("initech").get("/racks/aus1/r01").status_code == 404
