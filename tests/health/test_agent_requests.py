"""GPU reset requests on the agent channel: filed (one open per node and GPU), offered in the report answer
beside qualification requests, kept open by a busy notice, closed by the agent's final word (only its own
node's, only once), shown over the API (tenant-scoped), and read back by remediation's `AgentGpuReset`."""

from __future__ import annotations

import pytest

from fleetops import clock
from fleetops.errors import ExternalError
from fleetops.health import service
from fleetops.remediation.executors import AgentGpuReset
from fleetops.wire import GpuResetResult, ResetOutcome
from tests.health.reports import body, report

URL = "/api/v1/health/reports"


def _post(client, headers, *reports) -> dict:
    answer = client.post(URL, content=body(*reports), headers=headers | {"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _reset(fleet, host: str = "a000", gpu: int | None = 3) -> int:
    with fleet.transaction() as session:
        return service.request_gpu_reset(session, host, gpu, reason="XID 48")


def _word(request_id: int, outcome: ResetOutcome, detail: str = "", gpu: int | None = 3) -> GpuResetResult:
    return GpuResetResult(
        request_id=request_id, outcome=outcome, at=clock.now(), gpu_index=gpu, detail=detail
    )


def _shown(client, headers, host: str = "a000", **params) -> list[dict]:
    answer = client.get(f"/api/v1/health/nodes/{host}/requests", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["requests"]


def test_a_reset_request_rides_in_the_answer_and_the_agents_final_word_closes_it(client, tokens, fleet):
    reset = _reset(fleet)
    assert _reset(fleet) == reset  # one open request per node and GPU
    other = _reset(fleet, gpu=5)
    with fleet.transaction() as session:
        qualify = service.request_qualification(session, "a000")
    offered = _post(client, tokens["a000"], report("a000"))["requests"]["a000"]
    assert offered == [
        {"kind": "reset_gpu", "id": reset, "gpu_index": 3},
        {"kind": "reset_gpu", "id": other, "gpu_index": 5},
        {"kind": "qualify", "id": qualify, "duration_s": 60.0},
    ]
    busy = _word(reset, ResetOutcome.BUSY, "a process uses GPU 3; trying again in 30 s")
    offered = _post(client, tokens["a000"], report("a000", gpu_resets=[busy]))["requests"]["a000"]
    assert reset in [r["id"] for r in offered]  # busy: still open, still offered
    done = _word(reset, ResetOutcome.OK, "GPU 3 reset: GPU 00000000:48:00.0 was successfully reset.")
    offered = _post(client, tokens["a000"], report("a000", gpu_resets=[done]))["requests"]["a000"]
    assert reset not in [r["id"] for r in offered]
    shown = {r["id"]: r for r in _shown(client, tokens["admin"], kind="reset_gpu")}
    assert shown[reset]["open"] is False and shown[reset]["outcome"] == "ok"
    assert "successfully reset" in shown[reset]["detail"] and shown[reset]["reason"] == "XID 48"
    assert shown[other]["open"] is True
    assert _reset(fleet) != reset  # closed: the next ask is a new request


def test_a_busy_notice_is_shown_while_the_request_stays_open(client, tokens, fleet):
    reset = _reset(fleet)
    busy = _word(reset, ResetOutcome.BUSY, "a process uses GPU 3; trying again in 30 s")
    _post(client, tokens["a000"], report("a000", gpu_resets=[busy]))
    [shown] = _shown(client, tokens["operator"], kind="reset_gpu")
    assert shown["open"] is True and shown["outcome"] is None and "a process uses GPU 3" in shown["detail"]


def test_a_word_on_another_nodes_request_or_a_closed_one_changes_nothing(client, tokens, fleet, manual_clock):
    reset = _reset(fleet, "a000")
    _post(client, tokens["b000"], report("b000", gpu_resets=[_word(reset, ResetOutcome.FAILED, "not yours")]))
    [shown] = _shown(client, tokens["admin"])
    assert shown["open"] is True and shown["detail"] == ""
    _post(client, tokens["a000"], report("a000", gpu_resets=[_word(reset, ResetOutcome.OK, "reset")]))
    closed_at = _shown(client, tokens["admin"])[0]["closed_at"]
    manual_clock.advance(60)  # the agent replays its recorded answer after a restart
    _post(client, tokens["a000"], report("a000", gpu_resets=[_word(reset, ResetOutcome.FAILED, "late")]))
    [shown] = _shown(client, tokens["admin"])
    assert (shown["closed_at"], shown["outcome"], shown["detail"]) == (closed_at, "ok", "reset")


def test_requests_are_tenant_scoped_and_kinds_checked(client, tokens, fleet):
    _reset(fleet, "a000")
    assert client.get("/api/v1/health/nodes/a000/requests", headers=tokens["umbrella"]).status_code == 404
    assert [r["kind"] for r in _shown(client, tokens["initech"])] == ["reset_gpu"]
    assert _shown(client, tokens["admin"], kind="qualify") == []
    wrong = client.get(
        "/api/v1/health/nodes/a000/requests", params={"kind": "format"}, headers=tokens["admin"]
    )
    assert wrong.status_code in (400, 422) and "reset_gpu" in wrong.text


def test_agent_gpu_reset_reads_the_agents_word(client, tokens, fleet):
    port = AgentGpuReset(fleet)
    with pytest.raises(ExternalError) as nothing:
        port.done("a000", 3)
    assert nothing.value.retryable  # no request on record: a new attempt files one
    port.reset("a000", 3)
    port.reset("a000", 3)
    [request] = _shown(client, tokens["admin"])  # filed once
    assert port.done("a000", 3) is False
    _post(client, tokens["a000"], report("a000", gpu_resets=[_word(request["id"], ResetOutcome.OK, "reset")]))
    assert port.done("a000", 3) is True
    port.reset("a000", 3)
    refused = _shown(client, tokens["admin"])[0]["id"]
    why = "a process uses GPU 3, still after 10 tries 30 s apart (GPU 3: pid 4242)"
    _post(client, tokens["a000"], report("a000", gpu_resets=[_word(refused, ResetOutcome.REFUSED, why)]))
    with pytest.raises(ExternalError) as error:
        port.done("a000", 3)
    assert (
        not error.value.retryable and "refused" in error.value.message and "pid 4242" in error.value.message
    )
