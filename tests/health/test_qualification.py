"""Qualification on demand, pulled by the agent: request → listed in the report answer → a result fulfils it
→ remediation's verification says True, False or "not yet"; the new endpoints are tenant-scoped."""

from __future__ import annotations

from datetime import timedelta

from fleetops import clock
from fleetops.health import service
from fleetops.wire import GpuQualification, QualificationResult
from tests.health.conftest import node_id
from tests.health.reports import body, report

URL = "/api/v1/health/reports"


def _post(client, headers, *reports):
    return client.post(URL, content=body(*reports), headers=headers | {"Content-Type": "application/json"})


def _result(host: str, passed: bool = True, started=None, measured: bool = True) -> QualificationResult:
    started = started or clock.now()
    gpus = [
        GpuQualification(
            index=i,
            uuid=f"GPU-{host}-{i}",
            passed=passed or i != 5,
            matmul_bf16_tflops_median=680.0 if passed or i != 5 else 410.0,
            reasons=[] if passed or i != 5 else ["bf16 matmul median TFLOP/s 410.0 < 600"],
        )
        for i in range(8)
    ]
    return QualificationResult(
        started_at=started,
        finished_at=started + timedelta(seconds=60),
        backend="torch" if measured else "none",
        model="H100 80GB HBM3",
        duration_s=60,
        passed=passed and measured,
        gpus=gpus if measured else [],
        reason="all GPUs passed" if passed and measured else "could not qualify: PyTorch is not installed",
    )


def _request(fleet, host: str = "a000") -> int:
    with fleet.transaction() as session:
        return service.request_qualification(session, host, reason="after reboot")


def _verification(fleet, since, host: str = "a000"):
    with fleet.transaction() as session:
        return service.verification(session, host, since)


def test_request_is_offered_to_the_agent_and_a_passing_result_fulfils_it(client, tokens, fleet, manual_clock):
    since = clock.now()
    request_id = _request(fleet)
    assert _request(fleet) == request_id  # an open request is reused, not duplicated
    answer = _post(client, tokens["a000"], report("a000"))
    assert answer.status_code == 200
    assert answer.json()["requests"] == {"a000": [{"kind": "qualify", "id": request_id, "duration_s": 60.0}]}
    assert _verification(fleet, since) is None  # a report alone is not enough
    manual_clock.advance(90)
    answer = _post(client, tokens["a000"], report("a000", qualification=_result("a000")))
    assert answer.json()["requests"] == {"a000": []}
    assert _verification(fleet, since) is True
    shown = client.get(
        f"/api/v1/health/nodes/{node_id(fleet, 'a000')}/qualifications", headers=tokens["admin"]
    )
    [request] = shown.json()["requests"]
    [result] = shown.json()["results"]
    assert request["open"] is False and request["result_id"] == result["id"]
    assert result["outcome"] == "passed" and result["gpus"][0]["matmul_bf16_tflops_median"] == 680.0
    assert _request(fleet) != request_id  # fulfilled: the next ask is a new request


def test_failing_result_fails_verification_and_makes_the_node_unhealthy(client, tokens, fleet, manual_clock):
    since = clock.now()
    _request(fleet)
    manual_clock.advance(30)
    answer = _post(client, tokens["a000"], report("a000", qualification=_result("a000", passed=False)))
    assert answer.json()["results"][0]["node_state"] == "unhealthy"
    assert _verification(fleet, since) is False
    findings = client.get(
        "/api/v1/health/findings", params={"check": "qualification_failed"}, headers=tokens["admin"]
    ).json()["items"]
    assert [(f["gpu_index"], f["severity"], f["action"]) for f in findings] == [
        (5, "critical", "run_field_diagnostics")
    ]
    assert "410.0 < 600" in findings[0]["summary"]
    manual_clock.advance(60)  # the event holds: a plain report does not clear it ...
    assert _post(client, tokens["a000"], report("a000")).json()["results"][0]["node_state"] == "unhealthy"
    manual_clock.advance(60)  # ... a passing run does
    healed = _post(client, tokens["a000"], report("a000", qualification=_result("a000")))
    assert healed.json()["results"][0]["node_state"] == "healthy"


def test_results_started_before_the_action_do_not_count(client, tokens, fleet, manual_clock):
    stale = _result("a000", started=clock.now() - timedelta(minutes=5))
    since = clock.now()
    request_id = _request(fleet)
    manual_clock.advance(30)
    answer = _post(client, tokens["a000"], report("a000", qualification=stale))
    assert answer.json()["requests"]["a000"][0]["id"] == request_id  # older than the request: still open
    assert _verification(fleet, since) is None


def test_could_not_qualify_leaves_the_request_open_and_verification_waiting(
    client, tokens, fleet, manual_clock
):
    since = clock.now()
    request_id = _request(fleet)
    manual_clock.advance(30)
    answer = _post(client, tokens["a000"], report("a000", qualification=_result("a000", measured=False)))
    assert answer.json()["results"][0]["node_state"] == "healthy"
    assert [r["id"] for r in answer.json()["requests"]["a000"]] == [request_id]
    assert _verification(fleet, since) is None
    shown = client.get(
        f"/api/v1/health/nodes/{node_id(fleet, 'a000')}/qualifications", headers=tokens["admin"]
    )
    assert shown.json()["results"][0]["outcome"] == "could not qualify"


def test_critical_finding_in_a_fresh_report_fails_verification(client, tokens, fleet, manual_clock):
    from tests.health.reports import xid

    since = clock.now()
    manual_clock.advance(30)
    _post(client, tokens["a000"], report("a000", xids=[xid(79)]))
    assert _verification(fleet, since) is False


def test_operator_asks_over_the_api_and_tenants_see_only_their_nodes(client, tokens, fleet):
    a000, b000 = node_id(fleet, "a000"), node_id(fleet, "b000")
    asked = client.post(
        f"/api/v1/health/nodes/{a000}/qualify", json={"reason": "ticket 42"}, headers=tokens["operator"]
    )
    assert asked.status_code == 202 and asked.json()["hostname"] == "a000"
    again = client.post(f"/api/v1/health/nodes/{a000}/qualify", headers=tokens["admin"])
    assert again.json()["id"] == asked.json()["id"]
    assert client.post(f"/api/v1/health/nodes/{a000}/qualify", headers=tokens["viewer"]).status_code == 403
    assert client.post(f"/api/v1/health/nodes/{a000}/qualify", headers=tokens["initech"]).status_code == 403
    assert client.post(f"/api/v1/health/nodes/{a000}/qualify", headers=tokens["umbrella"]).status_code == 404
    url = f"/api/v1/health/nodes/{a000}/qualifications"
    assert client.get(url, headers=tokens["umbrella"]).status_code == 404
    mine = client.get(url, headers=tokens["initech"])
    assert mine.status_code == 200 and mine.json()["requests"][0]["reason"] == "ticket 42"
    assert (
        client.get(f"/api/v1/health/nodes/{b000}/qualifications", headers=tokens["initech"]).status_code
        == 404
    )
    bad = client.post(f"/api/v1/health/nodes/{a000}/qualify", json={"duration_s": 0}, headers=tokens["admin"])
    assert bad.status_code == 422
