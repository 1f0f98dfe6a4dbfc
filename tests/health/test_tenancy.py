"""Health endpoints are tenant-scoped: a customer or supplier sees only its own nodes' health."""

from __future__ import annotations

from tests.health.conftest import node_id
from tests.health.reports import body, report, xid


def _seed(client, tokens):
    sick = [report("a000", xids=[xid(79)]), report("b000", xids=[xid(48, index=0)]), report("b001")]
    assert (
        client.post("/api/v1/health/reports", content=body(*sick), headers=tokens["admin"]).status_code == 200
    )


def test_customer_sees_only_its_nodes_health(client, tokens, fleet):
    _seed(client, tokens)
    initech, umbrella = tokens["initech"], tokens["umbrella"]
    assert client.get(f"/api/v1/health/nodes/{node_id(fleet, 'a000')}", headers=initech).status_code == 200
    other = client.get(f"/api/v1/health/nodes/{node_id(fleet, 'b000')}", headers=initech)
    missing = client.get("/api/v1/health/nodes/999999", headers=initech)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace(str(node_id(fleet, "b000")), "N") == missing.json()[
        "detail"
    ].replace("999999", "N")
    hosts = {f["hostname"] for f in client.get("/api/v1/health/findings", headers=initech).json()["items"]}
    assert hosts == {"a000"}
    hosts = {f["hostname"] for f in client.get("/api/v1/health/findings", headers=umbrella).json()["items"]}
    assert hosts == {"b000"}
    cover = client.get("/api/v1/health/coverage", headers=umbrella).json()
    assert [c["name"] for c in cover["clusters"]] == ["beta"]
    summary = client.get("/api/v1/health/summary", headers=initech).json()
    assert summary["nodes"]["unhealthy"] == 1 and summary["nodes"]["healthy"] == 0


def test_supplier_and_agent_scopes(client, tokens, fleet):
    _seed(client, tokens)
    hosts = {
        f["hostname"] for f in client.get("/api/v1/health/findings", headers=tokens["acme"]).json()["items"]
    }
    assert hosts == {"a000"}
    agent = tokens["a000"]
    assert client.get(f"/api/v1/health/nodes/{node_id(fleet, 'b000')}", headers=agent).status_code == 404
    assert client.get("/api/v1/health/rejections", headers=tokens["initech"]).status_code == 403


def test_staff_see_the_whole_fleet(client, tokens, fleet):
    _seed(client, tokens)
    summary = client.get("/api/v1/health/summary", headers=tokens["viewer"]).json()
    assert summary["nodes"] == {"healthy": 1, "degraded": 0, "unhealthy": 2, "unknown": 0}
    causes = {c["cause"]: c["gpus"] for c in summary["gpus_by_cause"] if c["state"] == "unhealthy"}
    assert causes == {
        "XID 79 ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS": 1,
        "XID 48 ROBUST_CHANNEL_GPU_ECC_DBE": 1,
    }
