"""Security incidents as a timeline on the manual clock: declared, led, contained, resolved, closed;
the response SLA at its edge; notices rendered per incident; confidential ones seen by security only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.auth.service import create_token
from fleetops.db.session import Database
from tests.factories import bearer, token

API = "/api/v1/security/incidents"


@pytest.fixture
def who(database: Database) -> dict[str, dict[str, str]]:
    with database.transaction() as session:
        return {
            name: bearer(create_token(session, "test", name=name, role=role).token)
            for name, role in (
                ("sam", Role.SECURITY),
                ("otto", Role.OPERATOR),
                ("vera", Role.VIEWER),
                ("ada", Role.ADMIN),
            )
        }


def declare(api: TestClient, headers: dict[str, str], **fields: object) -> dict:
    body = {"title": "Leaked kubeconfig", "priority": "P1", "customers": "Initech"} | fields
    made = api.post(API, json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def test_an_incident_from_declaration_to_post_incident_report(database, who, manual_clock):
    api = TestClient(create_app())
    key = declare(api, who["otto"], summary="A kubeconfig for cluster alpha was pushed to a public repo.")[
        "key"
    ]
    early = api.post(f"{API}/{key}/state", json={"state": "investigating"}, headers=who["otto"])
    assert early.status_code == 422 and "commander" in early.json()["detail"]
    for role, person in (("commander", "sam"), ("communications", "cleo"), ("technical_lead", "otto")):
        api.post(
            f"{API}/{key}/roles", json={"role": role, "person": person}, headers=who["otto"]
        ).raise_for_status()
    manual_clock.advance(3600)  # P1: the response is due within the hour, and this is the hour
    shown = api.post(f"{API}/{key}/state", json={"state": "investigating"}, headers=who["sam"]).json()
    assert shown["sla"]["response_met"] is True
    first = api.get(f"{API}/{key}/notices/first_notice", headers=who["vera"]).text
    assert "Dear Initech," in first and "[P1] Security incident SEC-1" in first and "within 4 hours" in first
    manual_clock.advance(1800)
    public = {"text": "Credentials rotated; no access in the audit logs.", "public": True}
    api.post(f"{API}/{key}/notes", json=public, headers=who["sam"]).raise_for_status()
    private = {"text": "Suspect: CI token of contractor X", "public": False}
    api.post(f"{API}/{key}/notes", json=private, headers=who["sam"]).raise_for_status()
    api.post(f"{API}/{key}/state", json={"state": "contained"}, headers=who["sam"]).raise_for_status()
    update = api.get(f"{API}/{key}/notices/update", headers=who["sam"]).text
    assert "Credentials rotated" in update and "contractor X" not in update and "Contained" in update
    assert api.get(f"{API}/{key}/notices/post_incident", headers=who["sam"]).status_code == 422
    api.post(f"{API}/{key}/state", json={"state": "resolved"}, headers=who["sam"]).raise_for_status()
    assert api.post(f"{API}/{key}/state", json={"state": "closed"}, headers=who["sam"]).status_code == 422
    cause = {"root_cause": "A CI job printed the kubeconfig."}
    api.patch(f"{API}/{key}", json=cause, headers=who["sam"]).raise_for_status()
    closed = api.post(f"{API}/{key}/state", json={"state": "closed"}, headers=who["sam"]).json()
    assert closed["state"] == "closed"
    report = api.get(f"{API}/{key}/notices/post_incident", headers=who["sam"]).text
    assert "2026-01-01 00:00 UTC: incident declared" in report
    assert "2026-01-01 01:00 UTC: investigation started under sam" in report
    assert "2026-01-01 01:30 UTC: Credentials rotated" in report
    assert "Root cause: A CI job printed the kubeconfig." in report
    kinds = [(e["kind"], e["to_state"]) for e in closed["timeline"]]
    assert kinds[0] == ("declared", "declared") and kinds[-1] == ("state", "closed")
    assert (
        api.post(f"{API}/{key}/state", json={"state": "investigating"}, headers=who["sam"]).status_code == 409
    )


def test_the_response_sla_is_missed_a_second_late(database, who, manual_clock):
    api = TestClient(create_app())
    key = declare(api, who["otto"], priority="P0")["key"]
    api.post(f"{API}/{key}/roles", json={"role": "commander", "person": "ada"}, headers=who["otto"])
    manual_clock.advance(15 * 60 + 1)
    assert api.get(f"{API}/{key}", headers=who["otto"]).json()["sla"]["response_met"] is False
    moved = api.post(f"{API}/{key}/state", json={"state": "investigating"}, headers=who["otto"]).json()
    assert moved["sla"]["response_met"] is False


def test_only_security_sees_past_the_confidential_flag(fleet, who):
    api = TestClient(create_app())
    refused = api.post(
        API, json={"title": "Insider", "priority": "P0", "confidential": True}, headers=who["otto"]
    )
    assert refused.status_code == 403
    secret = declare(api, who["sam"], title="Insider threat", priority="P0", confidential=True)["key"]
    plain = declare(api, who["otto"], title="Phishing wave")["key"]
    customer = bearer(token(fleet, Role.CUSTOMER, customer_id=1))
    for name in ("otto", "vera", "ada"):
        assert api.get(f"{API}/{secret}", headers=who[name]).status_code == 404
        assert api.get(f"{API}/{secret}/notices/first_notice", headers=who[name]).status_code == 404
        assert [i["key"] for i in api.get(API, headers=who[name]).json()] == [plain]
    assert [i["key"] for i in api.get(API, headers=who["sam"]).json()] == [plain, secret]
    assert api.get(f"{API}/{secret}", headers=who["sam"]).json()["confidential"] is True
    assert api.patch(f"{API}/{plain}", json={"confidential": True}, headers=who["ada"]).status_code == 403
    assert api.get(API, headers=customer).status_code == 403
    assert api.get(f"{API}/{plain}", headers=customer).status_code == 403
