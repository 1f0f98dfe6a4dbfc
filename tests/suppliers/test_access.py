"""Who reads which scorecard, per endpoint and page: staff and sales every card, a supplier its own only,
a customer none; a sales token is refused everywhere but the scorecards."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from tests.factories import bearer, token


@pytest.fixture
def sales(fleet):
    return bearer(token(fleet, Role.SALES))


def _suppliers(response):
    assert response.status_code == 200, response.text
    return [c["supplier"] for c in response.json()]


def test_staff_and_sales_read_every_card_a_supplier_its_own(client, tokens, sales):
    for who in (tokens["admin"], tokens["viewer"], sales):
        assert _suppliers(client.get("/api/v1/scorecards", headers=who)) == ["acme", "globex"]
    assert _suppliers(client.get("/api/v1/scorecards", headers=tokens["acme"])) == ["acme"]
    assert _suppliers(client.get("/api/v1/scorecards", headers=tokens["globex"])) == ["globex"]
    own = client.get("/api/v1/scorecards/suppliers/acme", headers=tokens["acme"])
    assert own.status_code == 200 and [m["name"] for m in own.json()["metrics"]][0] == "uptime_pct"
    theirs = client.get("/api/v1/scorecards/suppliers/globex", headers=tokens["acme"])
    missing = client.get("/api/v1/scorecards/suppliers/nope", headers=tokens["acme"])
    assert theirs.status_code == missing.status_code == 404
    csv = client.get("/api/v1/scorecards/export.csv", headers=tokens["acme"]).text
    assert "acme" in csv and "globex" not in csv and csv.startswith("supplier,period_start")
    assert (
        client.get("/api/v1/scorecards/export.csv?supplier=globex", headers=tokens["acme"]).status_code == 404
    )


def test_customers_read_no_scorecard(client, tokens):
    for path in (
        "/api/v1/scorecards",
        "/api/v1/scorecards/suppliers/acme",
        "/api/v1/scorecards/requirements",
    ):
        assert client.get(path, headers=tokens["initech"]).status_code == 403, path


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nodes",
        "/api/v1/clusters",
        "/api/v1/suppliers",
        "/api/v1/audit",
        "/api/v1/alerts/incidents",
        "/api/v1/alerts/measures",
        "/api/v1/remediation/runs",
        "/api/v1/health/coverage",
        "/api/v1/deployments",
    ],
)
def test_a_sales_token_is_refused_everywhere_else(client, sales, path):
    response = client.get(path, headers=sales)
    assert response.status_code == 403, (path, response.status_code)
    assert "sales may read only the supplier scorecards" in response.json()["detail"]


def test_requirements_publish_and_acknowledge(client, tokens, sales):
    body = {"title": "Supplier Technical Requirements", "body": "Kubernetes or Slurm on Kubernetes only."}
    assert client.post("/api/v1/scorecards/requirements", json=body, headers=sales).status_code == 403
    assert (
        client.post("/api/v1/scorecards/requirements", json=body, headers=tokens["acme"]).status_code == 403
    )
    assert (
        client.post("/api/v1/scorecards/requirements", json=body, headers=tokens["operator"]).status_code
        == 201
    )
    assert (
        client.post("/api/v1/scorecards/requirements/1/acknowledge", headers=tokens["admin"]).status_code
        == 403
    )
    ack = client.post("/api/v1/scorecards/requirements/1/acknowledge", headers=tokens["acme"])
    assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "supplier:supplier-token"
    cards = {c["supplier"]: c for c in client.get("/api/v1/scorecards", headers=sales).json()}
    assert not cards["acme"]["requirements"]["flagged"] and cards["globex"]["requirements"]["flagged"]
    assert client.get("/api/v1/scorecards/requirements", headers=sales).json()[0]["version"] == 1


def _console(fleet, role, **binding):
    browser = TestClient(create_app())
    browser.cookies.set("fleetops_token", token(fleet, role, **binding))
    return browser


def test_console_pages_per_role(fleet):
    sales = _console(fleet, Role.SALES)
    page = sales.get("/scorecards")
    assert (
        page.status_code == 200 and 'id="supplier-acme"' in page.text and 'id="supplier-globex"' in page.text
    )
    assert sales.get("/scorecards/globex").status_code == 200
    acme = _console(fleet, Role.SUPPLIER, supplier_id=1)
    page = acme.get("/scorecards")
    assert 'id="supplier-acme"' in page.text and "globex" not in page.text
    assert acme.get("/scorecards/globex").status_code == 404
    assert acme.get("/scorecards/globex/export.html").status_code == 404
    assert acme.get("/scorecards/globex/export.pdf").status_code == 404
    card = acme.get("/scorecards/acme/export.html")
    assert card.status_code == 200 and "<link" not in card.text and 'id="card-acme"' in card.text
    assert "globex" not in acme.get("/scorecards/export.csv").text
    assert _console(fleet, Role.CUSTOMER, customer_id=1).get("/scorecards").status_code == 403


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium on this machine for the PDF export")
def test_presales_pdf_is_printed_by_chromium(fleet):
    pdf = _console(fleet, Role.SALES).get("/scorecards/acme/export.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 5000
