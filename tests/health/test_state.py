"""From findings to health: XIDs through the catalog, conditions that clear, events held, history kept."""

from __future__ import annotations

from fleetops.health import service
from fleetops.wire import Ecc
from tests.health.conftest import node_id
from tests.health.reports import body, gpu, report, xid

URL = "/api/v1/health/reports"


def _post(client, tokens, *reports, who="admin"):
    response = client.post(URL, content=body(*reports), headers=tokens[who])
    assert response.status_code == 200, response.text
    return response.json()


def _node(client, tokens, fleet, host="a000"):
    return client.get(f"/api/v1/health/nodes/{node_id(fleet, host)}", headers=tokens["admin"]).json()


def test_xid_79_marks_gpu_and_node_unhealthy_with_the_reason(client, tokens, fleet):
    answer = _post(client, tokens, report("a000", xids=[xid(79, index=3)]))
    assert answer["results"][0]["node_state"] == "unhealthy"
    node = _node(client, tokens, fleet)
    assert node["state"] == "unhealthy"
    assert "GPU 3" in node["why"] and "XID 79" in node["why"]
    states = {g["index"]: g["state"] for g in node["gpus"]}
    assert states[3] == "unhealthy" and {s for i, s in states.items() if i != 3} == {"healthy"}
    checks = {(f["check"], f["xid"], f["action"]) for f in node["findings"]}
    assert ("xid", 79, "reboot_node") in checks and ("fallen_off_bus", None, "reboot_node") in checks
    assert [(c["from"], c["to"]) for c in node["changes"] if c["gpu_id"] is None] == [(None, "unhealthy")]


def test_unknown_xid_is_kept_and_shown_as_unknown(client, tokens, fleet):
    _post(client, tokens, report("a000", xids=[xid(4242, index=1)]))
    [finding] = [f for f in _node(client, tokens, fleet)["findings"] if f["check"] == "xid"]
    assert finding["xid"] == 4242 and finding["title"] == "unknown XID 4242"
    assert finding["owner"] == "unknown" and finding["severity"] == "warning"
    assert _node(client, tokens, fleet)["state"] == "degraded"
    listed = client.get("/api/v1/health/findings", params={"xid": 4242}, headers=tokens["admin"]).json()
    assert [f["title"] for f in listed["items"]] == ["unknown XID 4242"]


def test_condition_clears_with_the_next_clean_report(client, tokens, fleet):
    sick = [gpu("a000", i, ecc=Ecc(uncorrected_volatile=2) if i == 5 else Ecc()) for i in range(8)]
    _post(client, tokens, report("a000", gpus=sick))
    assert _node(client, tokens, fleet)["state"] == "unhealthy"
    _post(client, tokens, report("a000", gpus=sick))
    [ecc] = [
        f for f in _node(client, tokens, fleet)["findings"] if f["check"] == "ecc_uncorrectable_volatile"
    ]
    assert ecc["count"] == 2 and ecc["open"]
    _post(client, tokens, report("a000"))
    node = _node(client, tokens, fleet)
    assert node["state"] == "healthy"
    [ecc] = [f for f in node["findings"] if f["check"] == "ecc_uncorrectable_volatile"]
    assert not ecc["open"] and "not seen in report" in ecc["resolved_why"]
    assert [c["to"] for c in reversed(node["changes"]) if c["gpu_id"] is None] == ["unhealthy", "healthy"]


def test_missing_gpu_compared_with_the_inventory(client, tokens, fleet):
    _post(client, tokens, report("a000", count=7))
    node = _node(client, tokens, fleet)
    assert node["state"] == "unhealthy"
    assert {g["index"]: g["state"] for g in node["gpus"]}[7] == "unhealthy"
    assert any(f["check"] == "gpu_missing" and "7 of 8" in f["summary"] for f in node["findings"])


def test_xid_event_stays_open_after_a_clean_report_until_held_out(client, tokens, fleet, manual_clock):
    _post(client, tokens, report("a000", xids=[xid(79)]))
    manual_clock.advance(60)
    _post(client, tokens, report("a000"))
    assert _node(client, tokens, fleet)["state"] == "unhealthy"
    manual_clock.advance(86_400)
    _post(client, tokens, report("a000"))
    assert _node(client, tokens, fleet)["state"] == "healthy"


def test_open_findings_feed_the_alert_pipeline(client, tokens, fleet, manual_clock):
    _post(client, tokens, report("a000", xids=[xid(79, index=2)]), report("b001", xids=[xid(4242, index=0)]))
    with fleet.transaction() as session:
        found = service.open_findings(session)
    by_check = {(f.hostname, f.check, f.xid): f for f in found}
    xid79 = by_check[("a000", "xid", 79)]
    assert xid79.severity == "critical" and xid79.owner == "hardware" and xid79.gpu_uuid == "GPU-a000-2"
    assert xid79.action == "reboot_node" and not xid79.resolved
    assert ("b001", "xid", 4242) in by_check
    manual_clock.advance(90_000)
    _post(client, tokens, report("a000"))
    with fleet.transaction() as session:
        since = service.open_findings(session, since=manual_clock.now())
    assert {(f.check, f.resolved) for f in since if f.hostname == "a000"} == {
        ("xid", True),
        ("fallen_off_bus", True),
    }


def test_resolve_findings_records_who_and_why(client, tokens, fleet):
    _post(client, tokens, report("a000", xids=[xid(48, index=1)]))
    ids = [f["id"] for f in _node(client, tokens, fleet)["findings"]]
    with fleet.transaction() as session:
        assert service.resolve_findings(session, "operator:ana", ids, "GPU reset, row remapped") == len(ids)
    _post(client, tokens, report("a000"))
    node = _node(client, tokens, fleet)
    assert node["state"] == "healthy"
    assert all("operator:ana: GPU reset" in f["resolved_why"] for f in node["findings"])
