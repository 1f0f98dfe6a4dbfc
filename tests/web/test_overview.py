"""The landing page counts its fleet in one grouped read (`web.tally`): its inventory counts, its FSH
coverage and its map's colours must say what the inventory summary, the coverage sweep's reading and a
node-by-node colouring say, for staff and for each tenant."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fleetops.api.app import create_app
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.health.coverage import coverage
from fleetops.health.models import NodeHealth
from fleetops.inventory.models import Node
from fleetops.inventory.scope import visible
from fleetops.inventory.summary import summarize
from fleetops.web.healthmap import Shade, health_map, places, shade
from fleetops.web.overview import fleet_coverage, fleet_summary
from fleetops.web.tally import tally
from tests.factories import bearer, load, make_node, token, two_tenant_fleet
from tests.health.reports import body, report, xid

VIEWERS = {
    "operator": Principal(Role.OPERATOR, "o"),
    "initech": Principal(Role.CUSTOMER, "c", customer_id=1),
    "umbrella": Principal(Role.CUSTOMER, "c", customer_id=2),
    "acme": Principal(Role.SUPPLIER, "s", supplier_id=1),
    "globex": Principal(Role.SUPPLIER, "s", supplier_id=2),
}


@pytest.fixture
def mixed(database, manual_clock):
    """Nodes in every kind of place: ready and reporting (one with XID 79), in RMA, coming in, outside
    any cluster, in a cluster not yet active; some heard from within the coverage window, some before
    it, some never."""
    data = two_tenant_fleet(4)
    data["clusters"].append(data["clusters"][1] | {"name": "gamma", "state": "deploying", "contract": None})
    unassigned = make_node("u000", site="aus1")
    unassigned.pop("cluster")
    data["nodes"] += [
        make_node("a900", state="rma"),
        make_node("a901", state="provisioning"),
        make_node("g000", site="aus1", cluster="gamma"),
        make_node("g001", site="aus1", cluster="gamma", state="racked"),
        unassigned,
    ]
    load(database, data)
    http, admin = TestClient(create_app()), bearer(token(database, Role.ADMIN))
    early = [report(h) for h in ("a000", "a002", "b000", "b003", "g000", "a900")]
    http.post("/api/v1/health/reports", content=body(*early), headers=admin)
    manual_clock.advance(900)  # the early ones fall out of the coverage window
    late = [report("a001", xids=[xid(79)]), report("b001"), report("b002"), report("a003")]
    http.post("/api/v1/health/reports", content=body(*late), headers=admin)
    return database


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_the_landing_counts_agree_with_the_summary_the_coverage_and_each_nodes_colour(mixed, viewer):
    who = VIEWERS[viewer]
    with mixed.transaction() as session:
        counted = tally(session, who)
        assert fleet_summary(session, who, counted, places(session)) == summarize(session, who)
        assert fleet_coverage(session, counted) == coverage(session, who).fleet
        stmt = select(Node.state, NodeHealth.state).outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
        rule = visible("node", who)
        rows = session.execute(stmt if rule is None else stmt.where(rule)).all()
        expected = Counter(shade(life, health) for life, health in rows)
        drawn = health_map(session, who, counted=counted)
    assert {s: n for s, n in drawn.counts.items() if n} == dict(expected)
    assert sum(len(b.runs) for g in drawn.groups for p in g.pods for b in p.boxes) >= 1


def test_the_fixture_covers_what_the_counts_distinguish(mixed):
    with mixed.transaction() as session:
        share = coverage(session, VIEWERS["operator"]).fleet
        kinds = Counter(
            shade(life, h)
            for life, h in session.execute(
                select(Node.state, NodeHealth.state).outerjoin(NodeHealth, NodeHealth.node_id == Node.id)
            )
        )
    assert 0 < share.reporting < share.expected
    assert {Shade.UNHEALTHY, Shade.HEALTHY, Shade.SILENT, Shade.DEPLOYING, Shade.IDLE} <= kinds.keys()
