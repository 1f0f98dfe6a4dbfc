"""A flapping link, end to end: the agent's finding is kept by health, becomes an incident routed to the
supplier whose hands reseat the cable (never to the customer), and starts no GPU remediation."""

from __future__ import annotations

from sqlalchemy import select

from fleetops import clock
from fleetops.agent.collectors.links import LinkReading
from fleetops.agent.link_checks import LinkState, check_network_links
from fleetops.alerts import service as alerts
from fleetops.auth.principal import SYSTEM
from fleetops.catalog.links import default_links
from fleetops.flow import Finding
from fleetops.health.ingest import ingest
from fleetops.health.models import HealthFinding
from fleetops.pipeline import Handoff
from fleetops.remediation import engine, service
from fleetops.remediation.policy import default_policy
from fleetops.wire import FaultOwner, Severity
from tests.health.reports import body, report


def flap_findings():
    state, catalog = LinkState(), default_links()
    check_network_links(
        [LinkReading("mlx5_3/1", "infiniband", "ACTIVE", {"link_downed": 4})], catalog, state, 0
    )
    return check_network_links(
        [LinkReading("mlx5_3/1", "infiniband", "ACTIVE", {"link_downed": 6})], catalog, state, 30
    )


def test_a_flapping_link_reaches_the_supplier_and_no_gpu_remediation(bed):
    previous, handoff = engine.use_engine(bed.engine), Handoff()
    try:
        for _ in range(2):
            with bed.database.transaction() as session:
                ingest(session, SYSTEM, body(report("a001", findings=flap_findings())))
            handoff(bed.database), engine.tick(bed.database)
            bed.clock.advance(30)
        with bed.database.transaction() as session:
            [row] = session.scalars(select(HealthFinding).where(HealthFinding.resolved_at.is_(None))).all()
            assert (row.check, row.owner, row.action) == (
                "network_link_flap",
                "hardware",
                "check_mechanicals",
            )
            assert "mlx5_3/1" in row.summary and row.count == 2
            [incident] = alerts.list_incidents(session)
            assert incident.owner == "hardware" and incident.labels["alertname"] == "network_link_flap"
            assert service.list_runs(session, SYSTEM) == []
            # routed on the incident's owner: the supplier's ticket queue and Slack, not the customer's
            assert incident.receivers == ["supplier-slack", "supplier-tickets"], incident.reason
    finally:
        engine.use_engine(previous)


def test_the_policy_has_no_action_for_a_link_finding():
    for check in ("network_link_flap", "network_link_errors"):
        finding = Finding(
            "a001", check, Severity.WARNING, FaultOwner.HARDWARE, clock.now(), action="check_mechanicals"
        )
        assert default_policy().plan(finding) is None
