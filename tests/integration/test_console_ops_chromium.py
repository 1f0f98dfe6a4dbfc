"""The operations console in real headless Chromium: an incident from a finding, and a rollout live."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from fleetops import clock
from fleetops.alerts import service as alerts
from fleetops.alerts.models import Alert
from fleetops.alerts.views import plain_words
from fleetops.auth.principal import SYSTEM
from fleetops.db.session import Database
from fleetops.deploy import service as deploy
from fleetops.deploy.plan import PlanRequest
from fleetops.flow import FaultOwner, Finding, FindingSeverity
from fleetops.inventory.models import Cluster, Node, Rack
from tests.integration.conftest import sign_in

pytestmark = pytest.mark.integration


def _xid_79(database: Database) -> tuple[str, int, int]:
    """Ingest one XID 79 finding on the server's database, as the health pipeline would hand it on."""
    with database.transaction() as session:
        hostname = session.scalars(
            select(Node.hostname)
            .join(Cluster, Cluster.id == Node.cluster_id)
            .where(Cluster.state == "active", Node.state == "ready")
            .order_by(Node.id.desc())
        ).first()
        assert hostname is not None
        found = Finding(
            hostname=hostname,
            check="xid",
            severity=FindingSeverity.CRITICAL,
            owner=FaultOwner.HARDWARE,
            observed_at=clock.now(),
            message=f"XID 79 (GPU fallen off the bus) on {hostname}",
            gpu_index=3,
            xid=79,
        )
        assert alerts.ingest_findings(session, [found]).stored == 1
    with database.transaction() as session:
        mine = select(Alert).join(Node, Node.id == Alert.node_id)
        alert = session.scalars(mine.where(Node.hostname == hostname, Alert.alertname == "xid")).one()
        assert alert.incident_id is not None
        return hostname, alert.incident_id, alert.id


def _verdict(database: Database, alert_id: int) -> str:
    with database.transaction() as session:
        return plain_words(alerts.explain(session, alert_id))


def test_operator_opens_an_incident_and_its_explanation(browser, fleetops_server, tmp_path):
    database = Database(fleetops_server.database_url)
    hostname, incident_id, alert_id = _xid_79(database)
    page = sign_in(browser, fleetops_server)
    page.click("header nav >> text=Incidents")
    page.screenshot(path=str(tmp_path.parent / "console-incidents.png"), full_page=True)
    row = page.locator(f"#open-incidents #incident-{incident_id}")
    assert row.locator("td").nth(2).inner_text() == "Open"
    row.locator("a").first.click()
    assert page.inner_text("h1").startswith(f"Incident #{incident_id} · ")
    mine = page.locator("#alerts tbody tr", has_text=hostname).filter(has_text="xid 79")
    assert mine.count() == 1
    page.click("#acknowledge")
    page.wait_for_url(f"{fleetops_server.url}/incidents/{incident_id}")
    assert page.inner_text("#acknowledged") != "not yet"
    before = _verdict(database, alert_id)
    page.click(f"#alerts a[href='/alerts/{alert_id}/explain']")
    shown = page.inner_text("#verdict")
    after = _verdict(database, alert_id)  # a P0 group may page between the two reads
    assert shown in (before + ".", after + ".")
    assert shown.startswith(("Paged because incident #", "Not paged because", "Not paged yet because"))
    assert f"incident #{incident_id}" in page.inner_text("#reasons")
    page.screenshot(path=str(tmp_path.parent / "console-explain.png"), full_page=True)


def _stream_nodes(database: Database, count: int) -> list[str]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(Node.hostname)
                .join(Rack, Rack.id == Node.rack_id)
                .where(Rack.pod == "stream-sp1", Node.state == "racked")
                .order_by(Node.hostname)
                .limit(count)
            )
        )


def test_operator_watches_a_rollout_become_ready_without_reloading(browser, fleetops_server, tmp_path):
    """The server's own worker ticks the engine (simulated backends in the demo); the page follows."""
    database = Database(fleetops_server.database_url)
    hostnames = _stream_nodes(database, 6)
    assert len(hostnames) == 6
    with database.transaction() as session:
        request = PlanRequest("console-live", "stream-k8s", "ubuntu-22.04-gpu", "k8s-cis", hostnames)
        deploy.plan(session, SYSTEM, request)
    page = sign_in(browser, fleetops_server)
    page.click("header nav >> text=Rollouts")
    page.click("#rollouts a >> text=console-live")
    assert page.inner_text("h1") == "Rollout console-live"
    assert page.inner_text("#ready-count") == "0" and page.inner_text("#node-count") == "6"
    page.evaluate("window.notReloaded = true")
    with database.transaction() as session:
        deploy.start(session, SYSTEM, "console-live")
    seen = [0]
    deadline = time.monotonic() + 120
    while seen[-1] < 6 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        seen.append(int(page.inner_text("#ready-count")))
    print("ready count seen on the page:", seen)
    assert seen[-1] == 6, f"ready count seen on the page: {seen}"
    assert seen == sorted(seen)  # it only rises
    assert page.evaluate("window.notReloaded") is True  # updated in place by the page's script
    page.wait_for_function("document.getElementById('rollout-state').innerText.includes('Completed')")
    assert page.inner_text("#share-human") == "0.0%"
    page.screenshot(path=str(tmp_path.parent / "console-rollout.png"), full_page=True)
