"""The console's health views: the fleet health page and the node page's health panel, tenant-scoped."""

from __future__ import annotations

from tests.health.conftest import node_id
from tests.health.reports import body, report, xid


def _login(client, headers):
    client.cookies.set("fleetops_token", headers["Authorization"].removeprefix("Bearer "))


def test_fleet_health_page_shows_causes_and_coverage(client, tokens, fleet):
    sick = [report("a000", xids=[xid(79)]), report("a001", xids=[xid(4242, index=0)]), report("b000")]
    assert (
        client.post("/api/v1/health/reports", content=body(*sick), headers=tokens["admin"]).status_code == 200
    )
    _login(client, tokens["viewer"])
    page = client.get("/health")
    assert page.status_code == 200
    html = page.text
    assert "XID 79 ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS" in html and "unknown XID 4242" in html
    assert '<td><a href="/clusters/alpha">alpha</a></td><td class="num">3</td><td class="num">2</td>' in html
    assert 'id="gpus-unhealthy">1<' in html


def test_node_page_shows_gpu_health_and_findings(client, tokens, fleet):
    client.post(
        "/api/v1/health/reports",
        content=body(report("a000", xids=[xid(79, index=5)])),
        headers=tokens["admin"],
    )
    _login(client, tokens["initech"])
    html = client.get(f"/nodes/{node_id(fleet, 'a000')}").text
    assert 'id="gpus"' in html and "GPU 5: XID 79" in html
    assert html.count('<span class="badge red">unhealthy</span>') >= 2  # node summary line and GPU 5


def test_customer_health_page_lists_only_its_nodes(client, tokens, fleet):
    sick = [report("a000", xids=[xid(79)]), report("b000", xids=[xid(48, index=0)])]
    client.post("/api/v1/health/reports", content=body(*sick), headers=tokens["admin"])
    _login(client, tokens["umbrella"])
    html = client.get("/health").text
    assert "b000" in html and "a000" not in html and "alpha" not in html
