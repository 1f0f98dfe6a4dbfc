"""The landing page: what needs a person, and the health map where one bad GPU shows among thousands."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from tests.factories import bearer, token
from tests.health.reports import body, report, xid
from tests.web.conftest import sign_in
from tests.web.fleets import simulated_fleet


def _cell(html: str, hostname: str) -> str:
    found = re.search(rf'<i class="(\w+)" data-node="{re.escape(hostname)}">', html)
    assert found, f"{hostname} has no cell of its own on the map"
    return found.group(1)


def _unhealthy_gpus(html: str) -> int:
    found = re.search(r'id="attn-gpus">.*?<span class="value">([\d,]+)</span>', html, re.S)
    assert found, "the landing page shows no unhealthy GPU count"
    return int(found.group(1).replace(",", ""))


def test_one_bad_gpu_among_16000_is_its_own_red_cell_and_first_in_the_queue(sqlite_database):
    hosts = simulated_fleet(sqlite_database, 2000, bad=700)
    client = sign_in(TestClient(create_app()), bearer(token(sqlite_database, Role.VIEWER)))
    html = client.get("/").text
    assert "2,000 nodes · 16,000 GPUs" in html
    assert _cell(html, hosts[700]) == "red"
    assert html.count("data-node=") == 1  # every other node is drawn inside a run of its colour
    assert _unhealthy_gpus(html) == 1
    assert f'<a href="/nodes/{hosts[700]}">{hosts[700]}</a> · GPU 3' in html
    assert len(html) < 200_000


def test_the_map_shows_each_tenant_only_its_own_nodes(client, tokens, fleet):
    sick = [report("a001", xids=[xid(79)]), report("b002", xids=[xid(79)])]
    client.post("/api/v1/health/reports", content=body(*sick), headers=tokens["admin"])
    html = sign_in(client, tokens["initech"]).get("/").text
    assert _cell(html, "a001") == "red" and "b002" not in html and "aus1" not in html
    assert _unhealthy_gpus(html) == 1
    html = sign_in(client, tokens["globex"]).get("/").text
    assert _cell(html, "b002") == "red" and "a001" not in html and "dfw1" not in html
    assert 'id="attn-breakers"' not in html and 'id="chart-pages"' not in html  # fleet machinery: staff only
    assert _unhealthy_gpus(html) == 1
    html = sign_in(client, tokens["operator"]).get("/").text
    assert _cell(html, "a001") == _cell(html, "b002") == "red" and 'id="chart-pages"' in html
    assert _unhealthy_gpus(html) == 2


@pytest.mark.parametrize("who", ["initech", "globex"])
def test_a_tenant_cannot_open_another_tenants_site_map(client, tokens, fleet, who):
    other = "aus1" if who == "initech" else "dfw1"
    mine = "dfw1" if who == "initech" else "aus1"
    page = sign_in(client, tokens[who])
    assert page.get(f"/map/{other}").status_code == 404
    assert page.get(f"/map/{mine}").status_code == 200


def test_the_live_fragment_is_the_landing_page_without_the_frame(client, tokens, fleet):
    html = sign_in(client, tokens["viewer"]).get("/live/landing").text
    assert 'id="health-map"' in html and "<header>" not in html
