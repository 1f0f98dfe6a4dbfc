"""Every scorecard number traces to records: change the records, see the number and the colour move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM, Principal
from fleetops.inventory.choices import NodeState
from fleetops.suppliers import incidents, requirements
from fleetops.suppliers.choices import Rating, Trend
from fleetops.suppliers.scorecard import Period, scorecards, visible_suppliers
from tests.factories import load, two_tenant_fleet
from tests.suppliers import records

T0 = datetime(2026, 1, 1, tzinfo=UTC)
END = T0 + timedelta(days=30)
DAY = timedelta(days=1)
ACME = Principal(Role.SUPPLIER, "acme-ops", supplier_id=1)


@pytest.fixture
def world(manual_clock, database):
    manual_clock.set(T0)
    load(database, two_tenant_fleet())
    return database


def card(session, supplier="acme", end=END):
    suppliers = visible_suppliers(session, SYSTEM, supplier)
    return {m.name: m for m in scorecards(session, suppliers, Period.ending(end, 30))[0].metrics}


def test_uptime_counts_node_hours_out_of_service(world, manual_clock):
    with world.transaction() as s:
        before = card(s)["uptime_pct"]
        assert (before.now.value, before.rating) == (100.0, Rating.GREEN)
        assert before.trend is Trend.NEW  # nothing was under contract the 30 days before
        manual_clock.set(T0 + 3 * DAY)
        records.move(s, "a000", NodeState.REPAIR)
        manual_clock.set(T0 + 6 * DAY)
        records.move(s, "a000", NodeState.READY)
        after = card(s)["uptime_pct"]
    assert after.now.value == pytest.approx(100 * 87 / 90)  # 3 of 90 node-days in repair
    assert after.rating is Rating.RED
    assert after.now.basis == "2,088.0 of 2,160.0 node-hours in service"


def test_trend_compares_with_the_period_before(world, manual_clock):
    with world.transaction() as s:
        manual_clock.set(T0 + 3 * DAY)
        records.move(s, "a000", NodeState.REPAIR)
        manual_clock.set(T0 + 6 * DAY)
        records.move(s, "a000", NodeState.READY)
        later = card(s, end=END + 30 * DAY)["uptime_pct"]
    assert later.now.value == 100.0 and later.before.value == pytest.approx(100 * 87 / 90)
    assert (later.trend, later.rating) == (Trend.BETTER, Rating.GREEN)


def test_rmas_per_thousand_gpu_days(world, manual_clock):
    with world.transaction() as s:
        assert card(s)["rma_per_1000_gpu_days"].now.value == 0
        manual_clock.set(T0 + 10 * DAY)
        records.move(s, "a001", NodeState.CORDONED)
        records.move(s, "a001", NodeState.RMA)
        rma = card(s)["rma_per_1000_gpu_days"]
        other = card(s, "globex")["rma_per_1000_gpu_days"]
    assert rma.now.value == pytest.approx(1000 / 720)  # 3 nodes x 8 GPUs x 30 days, still contracted at RMA
    assert rma.rating is Rating.RED and other.now.value == 0 and other.rating is Rating.GREEN


def test_incident_response_is_opened_to_supplier_acknowledged(world, manual_clock):
    with world.transaction() as s:
        first = records.incident(s, "acme", T0 + DAY)
        records.incident(s, "acme", T0 + 2 * DAY, receivers=("ops-tickets",))  # never sent to acme
        manual_clock.set(T0 + DAY + timedelta(minutes=10))
        incidents.acknowledge(s, ACME, first)
        quick = card(s)["response_s"]
        records.incident(s, "acme", T0 + 5 * DAY)
        records.incident(s, "acme", T0 + 6 * DAY)
        manual_clock.set(T0 + 6 * DAY + timedelta(hours=2))
        incidents.acknowledge(s, ACME, records.incident(s, "acme", T0 + 6 * DAY + timedelta(hours=1)))
        slow = card(s)["response_s"]
    assert (quick.now.value, quick.rating) == (600.0, Rating.GREEN)
    assert quick.now.basis == "median of 1 incidents forwarded"
    # 600 s, 3600 s, and two never acknowledged (counted until the period's end)
    assert (slow.now.value, slow.rating) == ((3600 + (END - T0 - 6 * DAY).total_seconds()) / 2, Rating.RED)


def test_another_suppliers_incident_cannot_be_acknowledged(world):
    from fleetops.errors import NotFound

    with world.transaction() as s:
        theirs = records.incident(s, "globex", T0 + DAY)
        with pytest.raises(NotFound):
            incidents.acknowledge(s, ACME, theirs)


def test_deployment_success_counts_nodes_ready_without_a_person(world):
    with world.transaction() as s:
        for host in ("a000", "a001", "a002"):
            records.bringup(s, host, T0 + DAY, "ready")
        assert card(s)["deploy_success_pct"].now.value == 100.0
        records.bringup(s, "a000", T0 + 2 * DAY, "ready", escalations=1, rollout="r2")
        records.bringup(s, "a001", T0 + 2 * DAY, "provisioning", rollout="r2")  # still under way: not judged
        metric = card(s)["deploy_success_pct"]
    assert (metric.now.value, metric.rating) == (75.0, Rating.RED)


def test_ticket_resolution_and_fsh_coverage(world):
    with world.transaction() as s:
        records.ticket(s, "a000", 1, T0 + DAY, T0 + DAY + timedelta(hours=20))
        assert card(s)["ticket_resolution_s"].rating is Rating.GREEN
        records.ticket(s, "a001", 1, T0 + 2 * DAY, T0 + 6 * DAY)
        records.ticket(s, "a002", 1, T0 + 3 * DAY, None)
        tickets = card(s)["ticket_resolution_s"]
        assert card(s)["fsh_coverage_pct"].now.value == 100.0
        records.silent(s, "a000", T0 + DAY, T0 + 2 * DAY)
        coverage = card(s)["fsh_coverage_pct"]
    assert (tickets.now.value, tickets.rating) == (4 * 86400, Rating.RED)
    assert coverage.now.value == pytest.approx(100 * 89 / 90) and coverage.rating is Rating.YELLOW


def test_unacknowledged_requirements_are_flagged(world):
    with world.transaction() as s:
        suppliers = visible_suppliers(s, SYSTEM)
        assert not any(c.requirements.flagged for c in scorecards(s, suppliers, Period.ending(END)))
        requirements.publish(s, SYSTEM, "Supplier Technical Requirements", "Kubernetes only.")
        requirements.acknowledge(s, ACME, 1)
        cards = {c.supplier: c.requirements for c in scorecards(s, suppliers, Period.ending(END))}
        assert not cards["acme"].flagged and cards["acme"].acknowledged_by == "supplier:acme-ops"
        assert cards["globex"].flagged
        requirements.publish(s, SYSTEM, "Supplier Technical Requirements", "Kubernetes only. IB checks.")
        cards = {c.supplier: c.requirements for c in scorecards(s, suppliers, Period.ending(END))}
    assert cards["acme"].flagged and cards["acme"].version == 2
