"""Ingestion over HTTP: idempotent report ids, refusals recorded and shown, bad bodies answered with a 4xx."""

from __future__ import annotations

import json

from fleetops.wire import MAX_BATCH, dump_report
from tests.health.conftest import node_id
from tests.health.reports import body, gpu, report, xid

URL = "/api/v1/health/reports"


def _post(client, headers, payload: bytes):
    return client.post(URL, content=payload, headers=headers | {"Content-Type": "application/json"})


def _rejections(client, tokens):
    return client.get("/api/v1/health/rejections", headers=tokens["admin"]).json()["items"]


def test_agent_report_is_stored_and_node_becomes_healthy(client, tokens, fleet):
    response = _post(client, tokens["a000"], body(report("a000")))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    node = client.get(f"/api/v1/health/nodes/{node_id(fleet, 'a000')}", headers=tokens["admin"]).json()
    assert node["state"] == "healthy"
    assert [g["state"] for g in node["gpus"]] == ["healthy"] * 8


def test_duplicate_report_id_is_idempotent_and_never_double_counted(client, tokens, fleet):
    sick = report("a000", xids=[xid(79)])
    first = _post(client, tokens["a000"], body(sick))
    again = _post(client, tokens["a000"], body(sick))
    assert first.status_code == 200 and again.status_code == 409
    assert again.json()["results"][0]["outcome"] == "duplicate"
    mixed = _post(client, tokens["a000"], body(sick, report("a000")))
    assert mixed.status_code == 200
    assert [r["outcome"] for r in mixed.json()["results"]] == ["duplicate", "accepted"]
    findings = client.get("/api/v1/health/findings", params={"check": "xid"}, headers=tokens["admin"]).json()
    assert [(f["xid"], f["count"]) for f in findings["items"]] == [(79, 1)]


def test_same_report_twice_in_one_batch_is_stored_once(client, tokens):
    one = report("a000")
    response = _post(client, tokens["a000"], body(one, one))
    assert [r["outcome"] for r in response.json()["results"]] == ["accepted", "duplicate"]


def test_unknown_node_is_refused_and_recorded(client, tokens):
    response = _post(client, tokens["admin"], body(report("ghost-17")))
    assert response.status_code == 422
    assert "ghost-17" in response.json()["detail"] and "not in the inventory" in response.json()["detail"]
    [rejected] = _rejections(client, tokens)
    assert rejected["reason"] == "unknown_node" and rejected["hostname"] == "ghost-17"


def test_unknown_gpu_uuid_is_refused_but_the_rest_of_the_batch_is_kept(client, tokens, fleet):
    stranger = report("a001", gpus=[gpu("a001", i) for i in range(7)] + [gpu("a001", 7, uuid="GPU-stolen")])
    response = _post(client, tokens["admin"], body(report("a000"), stranger))
    assert response.status_code == 422
    outcomes = [(r["hostname"], r["outcome"]) for r in response.json()["results"]]
    assert outcomes == [("a000", "accepted"), ("a001", "rejected")]
    assert "GPU-stolen" in response.json()["detail"]
    assert _rejections(client, tokens)[0]["reason"] == "unknown_gpu"
    health = client.get(f"/api/v1/health/nodes/{node_id(fleet, 'a000')}", headers=tokens["admin"]).json()
    assert health["state"] == "healthy"


def test_agent_token_may_only_report_for_its_own_node(client, tokens):
    response = _post(client, tokens["a000"], body(report("b000")))
    assert response.status_code == 422
    assert _rejections(client, tokens)[0]["reason"] == "wrong_node"


def test_tenants_may_not_post_reports(client, tokens):
    assert _post(client, tokens["initech"], body(report("a000"))).status_code == 403
    assert _post(client, {}, body(report("a000"))).status_code == 401


def test_report_answers_are_framed_like_every_other_api_answer(client, tokens):
    """The report POST is answered outside FastAPI (fleetops.api.app.App): same media types, same Bearer
    challenge, same problem+json as the rest of the API."""
    ok = _post(client, tokens["a000"], body(report("a000")))
    assert ok.headers["content-type"] == "application/json"
    assert int(ok.headers["content-length"]) == len(ok.content)
    refused = _post(client, {"Authorization": "Bearer fo_nope_nope"}, body(report("a000")))
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 401 and refused.json()["instance"] == URL


def test_an_unexpected_failure_answers_a_retryable_500_problem(client, tokens, monkeypatch):
    from fleetops.health import api

    async def broken(scope, receive):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(api, "raw_body", broken)
    response = _post(client, tokens["a000"], body(report("a000")))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["retryable"] is True and "disk on fire" not in response.text


def test_garbage_and_truncated_bodies_get_a_clear_422_and_are_recorded(client, tokens):
    whole = body(report("a000"))
    for payload, words in (
        (b"\x00\xffnot json", "not JSON"),
        (whole[: len(whole) // 2], "not JSON"),
        (b"42", "not int"),
        (b"[]", "empty"),
    ):
        response = _post(client, tokens["a000"], payload)
        assert response.status_code == 422, payload
        assert words in response.json()["detail"]
    assert {r["reason"] for r in _rejections(client, tokens)} == {"invalid"}


def test_invalid_report_in_a_batch_names_the_field(client, tokens):
    bad = json.loads(dump_report(report("a000"))) | {"gpus": [{"index": 99}]}
    payload = json.dumps({"reports": [bad]}).encode()
    response = _post(client, tokens["a000"], payload)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("reports[0]: gpus[0].index: Expected `int` <= 63")


def test_single_report_and_bare_list_are_accepted(client, tokens):
    one = report("a000")
    assert _post(client, tokens["a000"], dump_report(one)).status_code == 200
    listed = b"[" + dump_report(report("a000")) + b"]"
    assert _post(client, tokens["a000"], listed).status_code == 200


def test_oversized_body_and_oversized_batch_are_refused(client, tokens):
    huge = b'{"reports": [' + b" " * (17 * 1024 * 1024) + b"]}"
    response = _post(client, tokens["a000"], huge)
    assert response.status_code == 413
    too_many = body(*[report("a000") for _ in range(MAX_BATCH + 1)])
    assert _post(client, tokens["a000"], too_many).status_code == 422
    assert {r["reason"] for r in _rejections(client, tokens)} == {"too_large", "invalid"}


def test_clock_skew_is_flagged_but_the_report_is_kept(client, tokens, fleet, manual_clock):
    from datetime import timedelta

    ahead = report("a000", at=manual_clock.now() + timedelta(minutes=10))
    assert _post(client, tokens["a000"], body(ahead)).status_code == 200
    found = client.get(
        "/api/v1/health/findings", params={"check": "clock_skew", "open": True}, headers=tokens["admin"]
    ).json()["items"]
    assert len(found) == 1 and "600 s in the future" in found[0]["summary"]
    health = client.get(f"/api/v1/health/nodes/{node_id(fleet, 'a000')}", headers=tokens["admin"]).json()
    assert health["state"] == "healthy"
