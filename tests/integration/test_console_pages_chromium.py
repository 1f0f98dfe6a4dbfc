"""Every console page in Chromium at 1440×900: a screenshot of each, no horizontal overflow, no console
error; and a customer's pages show only its own cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fleetops.alerts import service as alerts
from fleetops.alerts.models import Alert
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.auth.service import create_token
from fleetops.db.session import Database
from fleetops.deploy import service as deploy
from fleetops.deploy.plan import PlanRequest
from fleetops.health import service as health
from fleetops.inventory.models import Cluster, Customer, Node
from fleetops.remediation import service as remediation
from tests.integration.console import overflow, quiet_server, watched_page
from tests.web.fleets import simulated_fleet

pytestmark = pytest.mark.integration


def _fill(database: Database) -> dict[str, Any]:
    """2,000 nodes reporting, one GPU with XID 79 (its incident and remediation run), a planned rollout."""
    hosts = simulated_fleet(database, 2000, bad=700)
    with database.transaction() as session:
        found = health.open_findings(session)
        alerts.ingest_findings(session, found)
        remediation.receive_findings(session, found)
        deploy.plan(
            session,
            SYSTEM,
            PlanRequest("stream-1", "stream-k8s", "ubuntu-22.04-gpu", "k8s-cis", pod="stream-sp1"),
        )
        alert = session.scalars(
            select(Alert).join(Node, Node.id == Alert.node_id).where(Node.hostname == hosts[700])
        ).first()
        helix = session.scalars(select(Customer).where(Customer.name == "helix-ai")).one()
        own = sorted(session.scalars(select(Cluster.name).where(Cluster.customer_id == helix.id)))
        customer = create_token(session, "test", name="helix", role=Role.CUSTOMER, customer_id=helix.id).token
        node = session.scalars(select(Node).where(Node.hostname == hosts[700])).one()
        return {
            "host": hosts[700],
            "site": node.rack.site.name,
            "pod": node.rack.pod,
            "rack": node.rack.name,
            "cluster": node.cluster.name if node.cluster else "",
            "incident": alert.incident_id if alert else None,
            "alert": alert.id if alert else None,
            "customer": customer,
            "own": own,
        }


def _pages(made: dict[str, Any]) -> dict[str, str]:
    return {
        "landing": "/",
        "health": "/health",
        "incidents": "/incidents",
        "incidents-grouped": "/incidents?group=supplier&status=",
        "incident": f"/incidents/{made['incident']}",
        "explain": f"/alerts/{made['alert']}/explain",
        "rollouts": "/rollouts",
        "rollout": "/rollouts/stream-1",
        "remediation": "/remediation",
        "audit": "/audit",
        "search": "/search?q=r04",
        "cluster": f"/clusters/{made['cluster']}",
        "node": f"/nodes/{made['host']}",
        "rack": f"/racks/{made['site']}/{made['rack']}",
        "site": f"/map/{made['site']}",
        "pod": f"/map/{made['site']}/{made['pod']}",
    }


def _visit(page: Any, url: str, shots: Path, name: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / f"console-{name}.png"))
    assert overflow(page) == 0, f"{name} ({url}) is {overflow(page)} px wider than 1440"


def test_every_page_at_1440_has_no_overflow_and_no_console_error(browser, tmp_path):
    shots = tmp_path.parent
    with quiet_server(tmp_path, _fill) as (server, made):
        assert made["incident"] and made["cluster"]
        page, errors = watched_page(browser, server)
        for name, path in _pages(made).items():
            _visit(page, server.url + path, shots, name)
        assert errors == []
        _visit(page, f"{server.url}/nodes/no-such-host", shots, "not-found")
        assert [e.split(": ", 1)[1] for e in errors] == [  # the 404 status of the page itself, nothing else
            "Failed to load resource: the server responded with a status of 404 (Not Found)"
        ]
        page.goto(f"{server.url}/nodes/{made['host']}")
        assert page.locator("#gpus tbody tr").count() == 8
        assert page.locator("#gpu-3 .badge").inner_text() == "unhealthy"
        page.goto(f"{server.url}/?wall=1")
        page.wait_for_load_state("networkidle")
        assert page.locator("header nav").is_hidden()
        page.screenshot(path=str(shots / "console-wall.png"))


def test_a_customer_sees_only_its_clusters_on_every_page(browser, tmp_path):
    with quiet_server(tmp_path, _fill) as (server, made):
        page, errors = watched_page(browser, server, made["customer"])
        page.wait_for_load_state("networkidle")
        shown = page.locator("#clusters tbody tr a").all_inner_texts()
        assert shown == made["own"]
        assert "stream-k8s" not in page.inner_text("#health-map")
        page.screenshot(path=str(tmp_path.parent / "console-customer-landing.png"))
        for name in ("health", "incidents", "remediation", "search"):
            page.goto(server.url + _pages(made)[name])
            page.wait_for_load_state("networkidle")
            assert "stream-k8s" not in page.content(), name
            assert overflow(page) == 0
        assert errors == []
        page.goto(f"{server.url}/audit")
        assert page.inner_text("h1") == "Cannot do that"
