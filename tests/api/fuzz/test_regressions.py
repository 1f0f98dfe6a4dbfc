"""What the fuzz and the tenancy review found, each pinned by the request that showed it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import DataError

from fleetops.api.app import create_app
from fleetops.audit.models import AuditEvent
from fleetops.auth.choices import Role
from fleetops.remediation.models import ClusterSettings
from fleetops.remediation.schemas import MASK
from tests.api.fuzz.conftest import node_id
from tests.factories import bearer, token
from tests.health.reports import body, report

TOO_BIG = ("2147483648", "9223372036854775808", "418735027019011365797888")


@pytest.mark.parametrize("number", TOO_BIG)
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/nodes/{n}", 404),  # a natural key or an id: a number past INTEGER names no node
        ("/api/v1/clusters/{n}", 404),
        ("/api/v1/addons/clusters/{n}", 404),
        ("/api/v1/remediation/clusters/{n}/settings", 404),
        ("/api/v1/security/incidents/SEC-{n}", 404),  # SEC-12 or 12: a key that spells an id
        ("/api/v1/security/incidents/{n}", 404),
        ("/api/v1/remediation/runs/{n}", 422),  # an id: refused where it enters, naming the field
        ("/api/v1/remediation/breakers/cluster/{n}/reset", 422),
        ("/api/v1/alerts/incidents/{n}", 422),
        ("/api/v1/alerts/{n}/explain", 422),
        ("/api/v1/health/findings?xid={n}", 422),
        ("/api/v1/health/findings?cursor={n}", 422),
        ("/api/v1/audit?after_id={n}", 422),
        ("/api/v1/assets?after_id={n}", 422),
        ("/api/v1/security/findings?cursor={n}", 422),
        ("/api/v1/scorecards/requirements/{n}/acknowledge", 422),
        ("/incidents/{n}", 422),  # the console's pages take the same types
        ("/audit?before={n}", 422),
    ],
)
def test_a_number_past_the_integer_column_is_a_4xx_not_a_500(client, tokens, url, status, number):
    response = client.request(
        "POST" if url.endswith(("/reset", "/acknowledge")) else "GET",
        url.format(n=number),
        headers=tokens["admin"],
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("key", ["²", "٣", "0", "-1"])
@pytest.mark.parametrize("path", ["/api/v1/nodes/", "/api/v1/security/incidents/SEC-"])
def test_a_key_that_only_looks_numeric_names_no_record(client, tokens, key, path):
    response = client.get(f"{path}{key}", headers=tokens["admin"])
    assert response.status_code == 404 and key in response.json()["detail"]


def test_an_unexpected_failure_is_a_problem_json_500(database):
    app = create_app()

    @app.get("/api/v1/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/broken")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "internal_error" and body["retryable"] is False and "a bug" not in body["detail"]


def test_every_operation_documents_its_errors_as_problem_json():
    document = create_app().openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422", "500"):
                content = operation["responses"][status]["content"]
                assert content == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)


def test_the_query_budget_answer_is_documented():
    """The Prometheus proxy's 429 (a customer over its token bucket) was an undocumented status."""
    paths = create_app().openapi()["paths"]
    for path in ("/api/v1/prometheus/api/v1/query", "/api/v1/prometheus/api/v1/query_range"):
        for method in ("get", "post"):
            assert "Problem" in str(paths[path][method]["responses"]["429"]["content"]), (method, path)


def test_a_scanner_that_writes_no_files_is_refused_not_a_500(client, tokens):
    response = client.post(
        "/api/v1/security/imports", params={"scanner": "fleetops"}, content=b"{}", headers=tokens["admin"]
    )
    assert response.status_code == 422, response.text
    assert "writes no files" in response.json()["detail"]


def test_a_refused_report_is_problem_json_with_a_code(client, tokens):
    response = client.post(
        "/api/v1/health/reports",
        content=b"[1.5]",
        headers=tokens["admin"] | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.json()["code"] == "health_422", response.text


def test_an_agent_cannot_tell_a_missing_host_from_another_nodes(client, fleet):
    agent = bearer(token(fleet, Role.AGENT, node_id=node_id(fleet, "a000")))
    headers = agent | {"Content-Type": "application/json"}
    theirs = client.post("/api/v1/health/reports", content=body(report("b000")), headers=headers)
    missing = client.post("/api/v1/health/reports", content=body(report("zz999")), headers=headers)
    assert theirs.status_code == missing.status_code == 422
    words = [
        r.json()["detail"].split(":", 1)[1].replace(host, "HOST")
        for r, host in ((theirs, "b000"), (missing, "zz999"))
    ]
    assert words[0] == words[1], words
    assert sorted(theirs.json()) == sorted(missing.json())


def test_settings_contacts_are_write_only_and_masked_for_every_role(client, tokens, fleet):
    url = "/api/v1/remediation/clusters/alpha/settings"
    notify = {"email": "ops@initech.example", "on": ["escalated"]}
    written = client.put(url, json={"notify": notify}, headers=tokens["initech"])
    assert written.status_code == 200, written.text
    for who in ("initech", "acme", "admin", "viewer"):
        seen = client.get(url, headers=tokens[who])
        assert seen.status_code == 200, (who, seen.text)
        assert seen.json()["notify"] == {"email": MASK, "on": ["escalated"]}, who
        assert "initech.example" not in seen.text
    again = client.put(url, json={"notify": {"email": MASK, "on": []}}, headers=tokens["initech"])
    assert again.status_code == 200
    with fleet.transaction() as session:
        stored = session.scalar(select(ClusterSettings.notify))
        changes = [
            e.changes for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "update"))
        ]
    assert stored == {"email": "ops@initech.example", "on": []}  # the masked value sent back kept it
    assert "initech.example" not in str(changes) and MASK in str(changes)


@pytest.mark.parametrize(
    ("method", "url", "payload", "where"),
    [
        ("POST", "/api/v1/sites", {"name": "dfw\u00002", "supplier": "acme", "region": "us-south"}, "body"),
        ("GET", "/api/v1/nodes?cluster=al%00pha", None, "query parameter 'cluster'"),
        ("POST", "/api/v1/security/imports?scanner=trivy&filename=a%00b", None, "query parameter 'filename'"),
        ("GET", "/api/v1/nodes/a%00", None, "path"),
    ],
)
def test_a_nul_character_is_refused_alike_on_both_databases(client, tokens, method, url, payload, where):
    """PostgreSQL cannot store NUL (it was a 500 there) and SQLite kept it: now refused where it enters."""
    response = client.request(method, url, json=payload, headers=tokens["admin"])
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{where}: contains a NUL character")


def test_a_value_the_database_refuses_is_a_422(database):
    app = create_app()

    @app.get("/api/v1/unstorable")
    def unstorable() -> None:
        raise DataError("INSERT ...", {}, Exception("integer out of range"))

    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/unstorable")
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    assert "integer out of range" not in response.text  # the database's words stay in the server's log


@pytest.mark.parametrize("url", ["/api/v1/okr", "/api/v1/scorecards", "/api/v1/remediation/measures"])
def test_a_window_too_short_to_divide_by_is_refused(client, tokens, url):
    """`/api/v1/okr?days=7.5e-296`: a window of no length divided by zero (500), found by the longer fuzz."""
    response = client.get(url, params={"days": "7.500780464160211e-296"}, headers=tokens["admin"])
    assert response.status_code == 422 and "days" in response.json()["detail"], response.text
