"""Reports an attacker or a broken clock would send: refused with a 4xx naming the field, and recorded.

Each case once answered otherwise: a deeply nested body raised RecursionError (a retryable 500, which an
agent resends forever), a report dated 1970 opened a new critical finding for an old XID, a time at +14:00
in year 1 raised OverflowError.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fleetops import clock
from fleetops.auth.choices import Role
from fleetops.health.api import RELAY_PATH
from fleetops.wire import MAX_DEPTH, dump_report
from tests.factories import bearer, token
from tests.health.reports import body, report, xid

URL = "/api/v1/health/reports"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _post(client, headers, payload: bytes):
    return client.post(URL, content=payload, headers=headers | {"Content-Type": "application/json"})


def _rejections(client, tokens) -> list[dict]:
    return client.get("/api/v1/health/rejections", headers=tokens["admin"]).json()["items"]


def _xid_findings(client, tokens) -> list[dict]:
    return client.get("/api/v1/health/findings", params={"check": "xid"}, headers=tokens["admin"]).json()[
        "items"
    ]


def _nested(depth: int) -> bytes:
    report_body = json.loads(dump_report(report("a000")))
    report_body["findings"] = [{"details": "@"}]
    return json.dumps({"reports": [report_body]}).encode().replace(b'"@"', b"[" * depth + b"]" * depth)


def test_a_deeply_nested_body_is_a_recorded_422_not_a_retryable_500(client, tokens):
    response = _post(client, tokens["a000"], _nested(100_000))
    assert response.status_code == 422, response.text
    assert f"nested deeper than {MAX_DEPTH} levels" in response.json()["detail"]
    [rejected] = _rejections(client, tokens)
    assert rejected["reason"] == "invalid" and "nested deeper" in rejected["detail"]


def test_unclosed_brackets_are_refused_as_too_deep(client, tokens):
    response = _post(client, tokens["a000"], b"[" * 50_000)
    assert response.status_code == 422 and "nested deeper" in response.json()["detail"]


def test_nesting_within_the_limit_is_refused_for_its_shape_not_its_depth(client, tokens):
    response = _post(client, tokens["a000"], _nested(MAX_DEPTH - 8))
    assert response.status_code == 422
    assert "findings[0]" in response.json()["detail"] and "nested" not in response.json()["detail"]


def test_a_relayed_deeply_nested_body_is_a_422(client, fleet):
    relay = bearer(token(fleet, Role.RELAY))
    deep = b'{"posts": [{"token": "t", "size": 1, "body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"
    response = client.post(RELAY_PATH, content=deep, headers=relay)
    assert response.status_code == 422 and "nested deeper" in response.json()["detail"]


def test_an_xid_dated_1970_is_refused_naming_the_field_and_opens_nothing(client, tokens):
    response = _post(client, tokens["a000"], body(report("a000", xids=[xid(79, at=EPOCH)])))
    assert response.status_code == 422, response.text
    detail = response.json()["results"][0]["detail"]
    assert detail.startswith("reports[0].xid_events[0].occurred_at: 1970-01-01") and "plausible" in detail
    assert _xid_findings(client, tokens) == []
    assert [r["reason"] for r in _rejections(client, tokens)] == ["invalid"]


def test_a_report_collected_in_year_1_or_far_ahead_is_refused(client, tokens):
    for at in (datetime(1, 1, 1, tzinfo=UTC), clock.now() + timedelta(days=400)):
        response = _post(client, tokens["a000"], body(report("a000", at=at)))
        assert response.status_code == 422
        assert response.json()["results"][0]["detail"].startswith("reports[0].collected_at: ")


def test_a_time_with_no_utc_equivalent_is_refused_not_an_overflow(client, tokens):
    raw = json.loads(dump_report(report("a000")))
    raw["collected_at"] = "0001-01-01T00:00:00+14:00"
    response = _post(client, tokens["a000"], json.dumps(raw).encode())
    assert response.status_code == 422
    assert "collected_at" in response.json()["detail"] and "out of range" in response.json()["detail"]


def test_a_clock_minutes_ahead_keeps_its_info_finding(client, tokens):
    response = _post(client, tokens["a000"], body(report("a000", at=clock.now() + timedelta(minutes=10))))
    assert response.status_code == 200, response.text
    skew = client.get("/api/v1/health/findings", params={"check": "clock_skew"}, headers=tokens["admin"])
    assert [f["severity"] for f in skew.json()["items"]] == ["info"]


def test_a_report_spooled_for_days_is_still_accepted(client, tokens):
    old = clock.now() - timedelta(days=5)
    response = _post(client, tokens["a000"], body(report("a000", at=old, xids=[xid(79, at=old)])))
    assert response.status_code == 200, response.text
    assert [f["xid"] for f in _xid_findings(client, tokens)] == [79]


def test_a_finding_detail_string_is_bounded(client, tokens):
    raw = json.loads(dump_report(report("a000")))
    raw["findings"] = [
        {
            "kind": "xid",
            "severity": "info",
            "action": "none",
            "summary": "s",
            "details": {"text": "x" * 1_000_000},
        }
    ]
    response = _post(client, tokens["a000"], json.dumps(raw).encode())
    assert response.status_code == 422 and "findings[0].details" in response.json()["detail"]
