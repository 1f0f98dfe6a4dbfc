"""The remediation API: customers control their own clusters only (404 elsewhere), staff-only actions,
every change audited; runs are scoped like the inventory."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fleetops.audit.models import AuditEvent
from fleetops.inventory.models import Cluster

from .conftest import make_bed


@pytest.fixture
def api(client, fleet):
    return client


def _clusters(db) -> dict[str, int]:
    with db.transaction() as session:
        return {c.name: c.id for c in session.scalars(select(Cluster))}


def test_customer_turns_remediation_off_for_its_own_cluster_and_it_is_audited(api, tokens, fleet):
    alpha = _clusters(fleet)["alpha"]
    got = api.get(f"/api/v1/remediation/clusters/{alpha}/settings", headers=tokens["initech"])
    assert got.status_code == 200 and got.json()["enabled"] is True  # on by default
    put = api.put(
        f"/api/v1/remediation/clusters/{alpha}/settings",
        headers=tokens["initech"],
        json={"enabled": False, "notify": {"email": "ops@initech.example"}},
    )
    assert put.status_code == 200, put.text
    assert put.json()["enabled"] is False and put.json()["updated_by"].startswith("customer:")
    with fleet.transaction() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.target_type == "remediation_settings"))
        assert event.target_key == "alpha" and event.changes["enabled"] == [True, False]


def test_customer_cannot_see_or_change_another_customers_cluster(api, tokens, fleet):
    beta = _clusters(fleet)["beta"]
    for method in ("get", "put"):
        response = getattr(api, method)(
            f"/api/v1/remediation/clusters/{beta}/settings",
            headers=tokens["initech"],
            **({"json": {"enabled": False}} if method == "put" else {}),
        )
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.get(f"/api/v1/remediation/clusters/{beta}/settings", headers=tokens["umbrella"]).json()[
        "enabled"
    ]


def test_suppliers_and_viewers_cannot_change_settings(api, tokens, fleet):
    beta = _clusters(fleet)["beta"]
    for who in ("globex", "viewer"):
        response = api.put(
            f"/api/v1/remediation/clusters/{beta}/settings", headers=tokens[who], json={"enabled": False}
        )
        assert response.status_code == 403


def test_bad_settings_are_refused_with_the_field(api, tokens, fleet):
    alpha = _clusters(fleet)["alpha"]
    response = api.put(
        f"/api/v1/remediation/clusters/{alpha}/settings",
        headers=tokens["initech"],
        json={"allowed_actions": ["drain", "nuke"]},
    )
    assert response.status_code == 422 and "allowed_actions" in response.text


def test_runs_are_scoped_and_only_staff_cancel(api, tokens, fleet, manual_clock):
    bed = make_bed(fleet, manual_clock)
    [mine] = bed.finding("a000", xid=79)
    [theirs] = bed.finding("b000", xid=79)
    bed.play(30)
    ids = [r["id"] for r in api.get("/api/v1/remediation/runs", headers=tokens["initech"]).json()]
    assert ids == [mine]
    assert api.get(f"/api/v1/remediation/runs/{theirs}", headers=tokens["initech"]).status_code == 404
    detail = api.get(f"/api/v1/remediation/runs/{mine}", headers=tokens["initech"]).json()
    assert [s["action"] for s in detail["steps"] if s["outcome"] == "ok" and s["action"]] == ["drain"]
    assert api.post(f"/api/v1/remediation/runs/{mine}/cancel", headers=tokens["initech"]).status_code == 403
    cancelled = api.post(f"/api/v1/remediation/runs/{mine}/cancel?reason=manual", headers=tokens["operator"])
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = api.post(f"/api/v1/remediation/runs/{mine}/cancel", headers=tokens["operator"])
    assert again.status_code == 409
    bed.engine.close()


def test_kill_switch_and_breaker_reset_are_staff_only_and_audited(api, tokens, fleet):
    assert (
        api.put("/api/v1/remediation/switches/kill", headers=tokens["initech"], json={"on": True}).status_code
        == 403
    )
    response = api.put(
        "/api/v1/remediation/switches/kill", headers=tokens["admin"], json={"on": True, "reason": "drill"}
    )
    assert response.status_code == 200 and response.json()["on"] is True
    switches = api.get("/api/v1/remediation/switches", headers=tokens["viewer"]).json()
    assert {s["name"]: s["on"] for s in switches} == {"kill": True, "dry_run": False}
    missing = api.post("/api/v1/remediation/breakers/cluster/99/reset", headers=tokens["operator"])
    assert missing.status_code == 404
    with fleet.transaction() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.target_type == "remediation_switch"))


def test_measures_and_metrics(api, tokens, fleet, manual_clock):
    from fleetops.remediation.measures import remediation_metrics

    bed = make_bed(fleet, manual_clock)
    bed.finding("b001", xid=79)
    bed.finding("a001", xid=13)
    bed.play(20 * 60)
    data = api.get("/api/v1/remediation/measures", headers=tokens["viewer"]).json()
    assert data["mttr"]["hardware"]["count"] == 1
    assert 10 * 60 < data["mttr"]["hardware"]["median_s"] < 15 * 60
    assert data["automation"] == {"finished": 2, "automatic": 2, "share": 1.0}
    assert data["actions"]["reboot_node"] == {"ok": 1}
    assert api.get("/api/v1/remediation/measures", headers=tokens["initech"]).status_code == 403
    with fleet.transaction() as session:
        families = {m.name: m for m in remediation_metrics(session)}
    resolved = [
        s.value for s in families["fleetops_remediation_runs"].samples if s.labels["state"] == "resolved"
    ]
    assert resolved == [2]
    bed.engine.close()
