"""The access review over the API: import, report against a baseline, requests granted by someone else
and expiring by themselves, the quarterly checklist; each step in the audit log; staff only."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fleetops.api.app import create_app
from fleetops.audit.models import AuditEvent
from fleetops.auth.choices import Role
from fleetops.db.session import get_database
from fleetops.security.access.models import AccessReach, AccessSnapshot
from fleetops.security.access.requests import expire_due
from tests.factories import bearer, token
from tests.security.access.conftest import body, texts

A = "/api/v1/security/access"


def _count(model):
    with get_database().transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_import_is_all_or_nothing_and_once(database, people):
    api = TestClient(create_app())
    users = texts()["users"].replace("Heidi Novak,ops,ops-prod,no", "Heidi Novak,ops,ops-prod,maybe")
    refused = api.post(f"{A}/imports", json=body(users=users), headers=people["sam"])
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "users.csv: line 9: field mfa" in refused.json()["detail"]
    assert _count(AccessSnapshot) == 0 and _count(AccessReach) == 0
    first = api.post(f"{A}/imports", json=body(), headers=people["sam"])
    assert first.status_code == 201
    events, paths = _count(AuditEvent), _count(AccessReach)
    again = api.post(f"{A}/imports", json=body(), headers=people["otto"])
    assert again.json()["id"] == first.json()["id"]
    assert (_count(AuditEvent), _count(AccessReach)) == (events, paths)


def test_the_report_shows_the_reduction_against_the_baseline(database, people):
    api = TestClient(create_app())
    base = api.post(f"{A}/imports", json=body(), headers=people["sam"]).json()
    api.post(f"{A}/snapshots/{base['id']}/baseline", headers=people["sam"]).raise_for_status()
    fixed = (
        texts()["tailnet"]
        .replace('"dan@gpucloud.example", // added', "// added")
        .replace('"ivan@gpucloud.example", // left', "// left")
        .replace(', "judy@gpucloud.example"]', "]")
    )
    api.post(f"{A}/imports", json=body(tailnet=fixed), headers=people["sam"]).raise_for_status()
    report = api.get(f"{A}/report", headers=people["vera"]).json()
    cut = report["reduction"]
    assert (cut["unnecessary_before"], cut["unnecessary_now"]) == (5, 2)
    assert cut["removed"] == ["dan@gpucloud.example", "ivan@gpucloud.example", "judy@gpucloud.example"]
    assert cut["reduction_pct"] == 60.0
    assert {f["user"] for f in report["flags"] if f["kind"] == "standing_production"} == {
        "erin@gpucloud.example",
        "mallory@gpucloud.example",
    }
    logins = {
        (r["user"], r["login"]) for r in report["reaches"] if r["system"] == "teleport" and r["standing"]
    }
    assert ("bob@gpucloud.example", "root") in logins


def test_tenants_may_not_see_or_import(fleet, people):
    api = TestClient(create_app())
    api.post(f"{A}/imports", json=body(), headers=people["sam"]).raise_for_status()
    customer = bearer(token(fleet, Role.CUSTOMER, customer_id=1))
    assert api.get(f"{A}/report", headers=customer).status_code == 403
    assert api.post(f"{A}/imports", json=body(), headers=customer).status_code == 403
    assert api.post(f"{A}/imports", json=body(), headers=people["vera"]).status_code == 403
    assert api.get(f"{A}/report").status_code == 401


def test_a_request_is_granted_by_someone_else_and_expires_by_itself(database, people, manual_clock):
    api = TestClient(create_app())
    api.post(f"{A}/imports", json=body(), headers=people["sam"]).raise_for_status()
    ask = {
        "user": "carol@gpucloud.example",
        "system": "teleport",
        "access": "prod-debug",
        "reason": "INC-42",
        "hours": 4,
    }
    unknown = api.post(f"{A}/requests", json=ask | {"access": "prod-everything"}, headers=people["otto"])
    assert unknown.status_code == 422 and "prod-everything" in unknown.json()["detail"]
    made = api.post(f"{A}/requests", json=ask, headers=people["sam"]).json()
    own = api.post(f"{A}/requests/{made['id']}/grant", json={"why": "mine"}, headers=people["sam"])
    assert own.status_code == 403
    assert api.post(f"{A}/requests/{made['id']}/grant", json={}, headers=people["otto"]).status_code == 403
    granted = api.post(
        f"{A}/requests/{made['id']}/grant", json={"why": "on call"}, headers=people["tess"]
    ).json()
    assert granted["state"] == "granted"
    assert granted["expires_at"].startswith((manual_clock.now() + timedelta(hours=4)).isoformat()[:19])
    manual_clock.advance(4 * 3600 - 1)
    assert expire_due(get_database()) == 0
    manual_clock.advance(1)
    assert expire_due(get_database()) == 1
    again = api.post(f"{A}/requests/{made['id']}/revoke", json={}, headers=people["tess"])
    assert again.status_code == 409
    trail = api.get("/api/v1/audit", params={"target_type": "access_request"}, headers=people["admin"]).json()
    steps = [(e["action"], e["actor"], e["changes"]["state"]) for e in trail["items"]]
    assert steps == [
        ("access.request", "security:sam", [None, "requested"]),
        ("access.grant", "security:tess", ["requested", "granted"]),
        ("access.expire", "system:access-expiry", ["granted", "expired"]),
    ]


def test_the_quarterly_review_is_signed_off_by_someone_else_once_nothing_is_pending(database, people):
    api = TestClient(create_app())
    api.post(f"{A}/imports", json=body(), headers=people["sam"]).raise_for_status()
    review = api.post(f"{A}/reviews", json={"quarter": "2026-Q1"}, headers=people["sam"]).json()
    persons = [i for i in review["items"] if i["user"]]
    assert len(persons) == 11 and len(review["items"]) == 16
    assert api.post(f"{A}/reviews/2026-Q1/sign-off", headers=people["tess"]).status_code == 422
    for item in review["items"]:
        decision = (
            ("revoke" if item["user"].startswith(("dan", "ivan")) else "keep") if item["user"] else "done"
        )
        path = f"{A}/reviews/2026-Q1/items/{item['position']}"
        api.post(path, json={"decision": decision}, headers=people["sam"]).raise_for_status()
    assert api.post(f"{A}/reviews/2026-Q1/sign-off", headers=people["sam"]).status_code == 403
    signed = api.post(f"{A}/reviews/2026-Q1/sign-off", headers=people["tess"]).json()
    assert signed["signed_off_by"] == "security:tess"
    assert api.post(f"{A}/reviews", json={"quarter": "2026-Q1"}, headers=people["sam"]).status_code == 409
    assert api.post(f"{A}/reviews", json={"quarter": "2026-Q5"}, headers=people["sam"]).status_code == 422
