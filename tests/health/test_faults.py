"""The fault injector: the published mix, rate scaled to fleet size, determinism, realistic reports."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from fleetops.auth.principal import SYSTEM
from fleetops.health import service
from fleetops.sim.faults import (
    LLAMA3_MIX,
    LLAMA3_RATE_PER_NODE_DAY,
    Fault,
    FaultInjector,
    FleetSimulation,
    node_report,
)
from tests.factories import load, two_tenant_fleet

START = datetime(2026, 3, 1, tzinfo=UTC)
KINDS = {kind.name: kind for kind in LLAMA3_MIX}


def test_the_mix_is_the_papers_table():
    assert sum(kind.interruptions for kind in LLAMA3_MIX) == 419
    assert (KINDS["faulty_gpu"].interruptions, KINDS["gpu_hbm3"].interruptions) == (148, 72)
    assert round(LLAMA3_RATE_PER_NODE_DAY * 2048 * 54) == 419


def test_rate_scales_with_fleet_size_and_shares_follow_the_mix():
    small = FaultInjector(seed=1).draw(2048, START, timedelta(days=54))
    big = FaultInjector(seed=1).draw(20_480, START, timedelta(days=54))
    assert 350 < len(small) < 490
    assert 3900 < len(big) < 4500
    shares = Counter(f.kind.name for f in big)
    assert abs(shares["faulty_gpu"] / len(big) - 148 / 419) < 0.03
    assert abs(shares["gpu_hbm3"] / len(big) - 72 / 419) < 0.03
    assert all(START <= f.at < START + timedelta(days=54) for f in big)


def test_same_seed_same_faults():
    one = FaultInjector(seed=9).draw(500, START, timedelta(days=30))
    two = FaultInjector(seed=9).draw(500, START, timedelta(days=30))
    other = FaultInjector(seed=10).draw(500, START, timedelta(days=30))
    assert one == two and one != other


def _report(kind: str, variant: int = 0, first: bool = True):
    uuids = [f"GPU-x-{i}" for i in range(8)]
    fault = Fault(KINDS[kind], 0, 3, START, variant)
    return node_report("x", uuids, START, random.Random(1), fault, first=first)


def test_each_fault_produces_what_the_agent_would_send():
    lost = _report("faulty_gpu", variant=0)
    assert [x.code for x in lost.xid_events] == [79] and lost.gpus[3].lost
    assert [x.code for x in _report("gpu_hbm3", variant=1).xid_events] == [48]
    assert _report("gpu_hbm3", variant=1).gpus[3].ecc.uncorrected_volatile == 1
    assert _report("host_maintenance") is None and _report("nic") is None
    assert len(_report("io_expansion_board").gpus) == 4
    clean = _report("silent_data_corruption")
    assert clean is not None and not clean.xid_events and not clean.findings
    assert "hw_thermal_slowdown" in _report("gpu_thermal").gpus[3].clock_event_reasons
    assert not _report("faulty_gpu", variant=0, first=False).xid_events


def test_simulated_fleet_shows_realistic_health(sqlite_database, manual_clock):
    load(sqlite_database, two_tenant_fleet(nodes_per_cluster=20))
    sim = FleetSimulation(sqlite_database, FaultInjector(seed=3, intensity=1500), seed=3)
    at = manual_clock.now()
    totals = Counter()
    for _ in range(4):
        at += timedelta(minutes=30)
        manual_clock.set(at)
        result = sim.cycle(at, timedelta(minutes=30))
        totals.update({"faults": result.new_faults, "silent": result.silent, "rejected": result.rejected})
        assert result.accepted == result.reports
    assert totals["faults"] > 5 and totals["rejected"] == 0
    with sqlite_database.transaction() as session:
        summary = service.summary(session, SYSTEM)
    assert summary["nodes"]["healthy"] > 0
    assert summary["nodes"]["unhealthy"] + summary["nodes"]["degraded"] > 0
    assert summary["open_findings"]["critical"] + summary["open_findings"]["warning"] > 0


def test_a_restarted_simulation_sends_new_report_ids(sqlite_database, manual_clock):
    """The demo worker restarted replays its seed; the agents it plays must not re-send stored ids."""
    load(sqlite_database, two_tenant_fleet())
    at = manual_clock.now()
    first = FleetSimulation(sqlite_database, FaultInjector(seed=3), seed=3).cycle(at, timedelta(seconds=30))
    again = FleetSimulation(sqlite_database, FaultInjector(seed=3), seed=3).cycle(at, timedelta(seconds=30))
    assert first.accepted == again.accepted == 6 and again.rejected == 0
