"""The console in real headless Chromium: what an operator and a customer actually see."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fleetops.auth.choices import Role
from fleetops.auth.service import create_token
from fleetops.db.session import Database
from fleetops.inventory.models import Cluster, Customer, Node
from tests.integration.conftest import sign_in

pytestmark = pytest.mark.integration


def test_operator_walks_from_fleet_to_cluster_to_node(browser, fleetops_server, tmp_path):
    database = Database(fleetops_server.database_url)
    with database.transaction() as session:
        gpus = session.scalar(select(func.sum(Node.gpu_count)))
        ready = session.scalar(select(func.sum(Node.gpu_count)).where(Node.state == "ready"))
    page = sign_in(browser, fleetops_server, fleetops_server.admin_token)
    assert page.inner_text("#total-gpus") == f"{gpus:,}" == "5,600"
    assert page.inner_text("#ready-gpus") == str(ready)
    page.screenshot(path=str(tmp_path.parent / "console-overview.png"), full_page=True)
    page.click("#clusters a >> text=stream-k8s")
    assert page.inner_text("h1") == "Cluster stream-k8s"
    page.goto(f"{fleetops_server.url}/")
    page.click("#clusters a >> text=arcadia-dal-2-00")
    assert page.inner_text("h1") == "Cluster arcadia-dal-2-00"
    rows = page.locator("#nodes tbody tr")
    assert rows.count() == 124
    rows.first.locator("a").first.click()
    assert page.inner_text("h1").startswith("Node ")
    assert page.locator("#gpus tbody tr").count() == 8


def test_customer_sees_only_its_own_cluster(browser, fleetops_server):
    database = Database(fleetops_server.database_url)
    with database.transaction() as session:
        customer = session.scalars(select(Customer).where(Customer.name == "helix-ai")).one()
        token = create_token(session, "test", name="helix", role=Role.CUSTOMER, customer_id=customer.id).token
        own = session.scalars(select(Cluster.name).where(Cluster.customer_id == customer.id)).all()
    page = sign_in(browser, fleetops_server, token)
    shown = page.locator("#clusters tbody tr a").all_inner_texts()
    assert shown == sorted(own)
    assert "stream-k8s" not in page.content()


def test_bad_token_is_refused_on_the_login_page(browser, fleetops_server):
    page = browser.new_page()
    page.goto(f"{fleetops_server.url}/login")
    page.fill("#token", "fo_nothing_here")
    page.click("button[type=submit]")
    assert "unknown or revoked API token" in page.inner_text("[role=alert]")
