"""ClusterMAX readiness from the records: change the records and see each item's verdict move; who sees
which cluster's checklist in the API and the console."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from fleetops import clock
from fleetops.agent.collectors.links import LinkReading
from fleetops.agent.link_checks import LinkState, check_network_links
from fleetops.auth.choices import Role
from fleetops.auth.models import ApiToken
from fleetops.auth.principal import SYSTEM
from fleetops.catalog.links import default_links
from fleetops.clustermax.readiness import readiness
from fleetops.health.ingest import ingest
from fleetops.inventory.choices import Orchestrator
from fleetops.inventory.models import Cluster
from fleetops.remediation import service as remediation
from fleetops.remediation.schemas import SettingsUpdate
from fleetops.wire import GpuQualification, QualificationResult
from tests.factories import bearer, token
from tests.health.reports import body, report

HOSTS = ("a000", "a001", "a002")


def items(database, cluster="alpha"):
    with database.transaction() as session:
        [row] = readiness(session, SYSTEM, cluster)
        return {i.key: (i.verdict.value, i.evidence) for i in row.items}, row.verdict.value


def send(database, host, **fields):
    with database.transaction() as session:
        ingest(session, SYSTEM, body(report(host, **fields)))


def flap():
    state, catalog = LinkState(), default_links()
    check_network_links(
        [LinkReading("mlx5_2/1", "infiniband", "ACTIVE", {"symbol_error": 0})], catalog, state, 0
    )
    reading = LinkReading("mlx5_2/1", "infiniband", "ACTIVE", {"symbol_error": 9})
    return check_network_links([reading], catalog, state, 30)


def qualification():
    now = clock.now()
    gpus = [GpuQualification(index=i, passed=True) for i in range(8)]
    return QualificationResult(
        now - timedelta(seconds=70), now - timedelta(seconds=10), "torch", "H100", 60, True, gpus=gpus
    )


def test_a_fresh_cluster_proves_only_what_its_records_hold(fleet):
    found, verdict = items(fleet)
    assert found["passive_checks"] == ("fail", "0 of 3 nodes sent a report in the last 5 min")
    assert found["active_checks"][0] == "fail" and found["active_checks"][1].startswith("0 of 3 ready nodes")
    assert found["orchestrator"] == ("pass", "inventory: Kubernetes")
    assert found["remediation"][0] == "pass" and "defaults" in found["remediation"][1]
    assert found["audit_retention"][0] == "pass" and "400 days" in found["audit_retention"][1]
    assert found["dashboards"] == ("fail", "initech holds no active console token: /clusters/alpha unseen")
    assert verdict == "fail"


def test_reports_qualifications_and_tokens_move_the_items_to_pass(fleet):
    for host in HOSTS:
        send(fleet, host, qualification=qualification())
    token(fleet, Role.CUSTOMER, customer_id=1)
    found, verdict = items(fleet)
    assert found["passive_checks"] == ("pass", "3 of 3 nodes sent a report in the last 5 min")
    assert found["active_checks"][0] == "pass" and found["active_checks"][1].startswith("3 of 3 ready nodes")
    assert found["network_links"][0] == "pass" and "no open link finding" in found["network_links"][1]
    assert found["dashboards"] == ("pass", "initech holds 1 active console token(s) for /clusters/alpha")
    assert verdict == "pass"
    with fleet.transaction() as session:
        session.execute(update(ApiToken).where(ApiToken.customer_id == 1).values(revoked_at=clock.now()))
    assert items(fleet)[0]["dashboards"][0] == "fail"


def test_a_link_finding_fails_network_health_and_names_the_link(fleet):
    for host in HOSTS:
        send(fleet, host)
    send(fleet, "a001", findings=flap())
    found, _ = items(fleet)
    verdict, evidence = found["network_links"]
    assert verdict == "fail" and evidence == "1 open link findings: a001 mlx5_2/1 (network link errors)"
    assert items(fleet, "beta")[0]["network_links"][0] == "unknown"  # beta's nodes never reported


def test_a_stale_qualification_and_a_silent_node_fail(fleet, manual_clock):
    for host in HOSTS:
        send(fleet, host, qualification=qualification())
    manual_clock.advance(8 * 86_400)
    send(fleet, "a000", qualification=qualification())
    found, _ = items(fleet)
    assert found["active_checks"][1].startswith("1 of 3 ready nodes")
    assert found["passive_checks"] == ("fail", "1 of 3 nodes sent a report in the last 5 min")


def test_orchestrator_and_remediation_follow_the_records(fleet):
    with fleet.transaction() as session:
        session.execute(
            update(Cluster).where(Cluster.name == "alpha").values(orchestrator=Orchestrator.SLURM_BARE_METAL)
        )
        alpha = session.scalar(select(Cluster.id).where(Cluster.name == "alpha"))
        remediation.update_settings(session, SYSTEM, alpha, SettingsUpdate(dry_run=True))
    found, _ = items(fleet)
    assert found["orchestrator"] == ("fail", "inventory: Slurm bare metal (legacy, non-compliant)")
    assert found["remediation"][0] == "fail" and found["remediation"][1].startswith(
        "dry run for this cluster"
    )
    with fleet.transaction() as session:
        remediation.set_switch(session, SYSTEM, "kill", True, "incident 42")
    assert items(fleet, "beta")[0]["remediation"][0] == "fail"
    assert "kill switch is on" in items(fleet, "beta")[0]["remediation"][1]


def _clusters(response):
    assert response.status_code == 200, response.text
    return [r["cluster"] for r in response.json()]


def test_api_tenancy_per_role(client, tokens, fleet):
    for who in ("admin", "operator", "viewer"):
        assert _clusters(client.get("/api/v1/clustermax", headers=tokens[who])) == ["alpha", "beta"]
    for who, mine, theirs in (
        ("initech", "alpha", "beta"),
        ("acme", "alpha", "beta"),
        ("umbrella", "beta", "alpha"),
        ("globex", "beta", "alpha"),
    ):
        assert _clusters(client.get("/api/v1/clustermax", headers=tokens[who])) == [mine]
        own = client.get(f"/api/v1/clustermax/{mine}", headers=tokens[who])
        assert own.status_code == 200 and len(own.json()["items"]) == 7
        assert client.get(f"/api/v1/clustermax/{theirs}", headers=tokens[who]).status_code == 404
    assert client.get("/api/v1/clustermax/nope", headers=tokens["admin"]).status_code == 404
    sales = bearer(token(fleet, Role.SALES))
    assert client.get("/api/v1/clustermax", headers=sales).status_code == 403
    assert client.get("/api/v1/clustermax").status_code == 401


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [("admin", ["alpha", "beta"], []), ("initech", ["alpha"], ["beta"]), ("globex", ["beta"], ["alpha"])],
)
def test_console_pages_per_role(client, tokens, who, shown, hidden):
    client.cookies.set("fleetops_token", tokens[who]["Authorization"].removeprefix("Bearer "))
    page = client.get("/clustermax")
    assert page.status_code == 200
    for name in shown:
        assert f'id="cluster-{name}"' in page.text
        one = client.get(f"/clustermax/{name}")
        assert one.status_code == 200 and 'id="item-network_links"' in one.text
    for name in hidden:
        assert f'id="cluster-{name}"' not in page.text
        assert client.get(f"/clustermax/{name}").status_code == 404
