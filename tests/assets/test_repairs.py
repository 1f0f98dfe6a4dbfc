"""A repair ticket reaches the site's team through the alert pipeline; time-to-route is measured."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fleetops.alerts import notify
from fleetops.alerts.policy import default_routes
from fleetops.assets import repairs
from fleetops.db.session import Database


def flush_at(database: Database, clock) -> None:
    with database.transaction() as session:
        notify.flush(session, default_routes(), clock.now())
        repairs.mark_routed(session)


def test_a_ticket_is_routed_to_the_sites_team_within_a_minute(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]], manual_clock
) -> None:
    made = client.post(
        "/api/v1/assets/repairs", json={"hostname": "a001", "reason": "PSU fan"}, headers=tokens["operator"]
    )
    assert made.status_code == 201, made.text
    manual_clock.advance(10)
    flush_at(fleet, manual_clock)
    with fleet.transaction() as session:
        assert repairs.time_to_route(session)["waiting"] == 1  # group_wait not over yet
    manual_clock.advance(25)
    flush_at(fleet, manual_clock)
    measured = client.get("/api/v1/assets/repairs/time-to-route", headers=tokens["viewer"]).json()
    assert measured["routed"] == 1 and measured["waiting"] == 0
    assert 30 <= measured["p99_s"] <= 60
    ticket = client.get("/api/v1/assets/repairs", headers=tokens["viewer"]).json()[0]
    assert ticket["receiver"] == "supplier-tickets" and ticket["hostname"] == "a001"


def test_tickets_are_for_staff_and_a_tenant_cannot_name_anothers_node(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    body = {"hostname": "a001", "reason": "x"}
    assert client.post("/api/v1/assets/repairs", json=body, headers=tokens["acme"]).status_code == 403
    missing = client.post(
        "/api/v1/assets/repairs", json=body | {"hostname": "zz"}, headers=tokens["operator"]
    )
    assert missing.status_code == 404 and "node zz" in missing.json()["detail"]
    assert client.get("/api/v1/assets/repairs", headers=tokens["globex"]).status_code == 403
