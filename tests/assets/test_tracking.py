"""Every active cluster carries its Jira board issue; the report counts those lacking one."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fleetops.db.session import Database


def test_the_trackability_report_counts_clusters_without_a_board_issue(
    fleet: Database, client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    report = client.get("/api/v1/assets/trackability", headers=tokens["viewer"]).json()
    assert (report["active"], report["trackable"], report["without_board_issue"]) == (2, 0, 2)
    done = client.put(
        "/api/v1/assets/boards", json={"cluster": "alpha", "issue_key": "CE-101"}, headers=tokens["operator"]
    )
    assert done.status_code == 200
    report = client.get("/api/v1/assets/trackability", headers=tokens["viewer"]).json()
    assert report["trackable"] == 1 and report["clusters"] == [
        {"cluster": "beta", "problems": ["missing Jira board issue"]}
    ]
    bad = client.put(
        "/api/v1/assets/boards", json={"cluster": "alpha", "issue_key": "ce 1"}, headers=tokens["operator"]
    )
    assert bad.status_code == 422 and "field issue_key" in bad.json()["detail"]
    assert (
        client.put(
            "/api/v1/assets/boards", json={"cluster": "beta", "issue_key": "CE-2"}, headers=tokens["umbrella"]
        ).status_code
        == 403
    )
    assert client.get("/api/v1/assets/trackability", headers=tokens["initech"]).status_code == 403
