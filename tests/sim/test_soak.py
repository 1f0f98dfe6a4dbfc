"""The short soak: one simulated day of 500 nodes in service, every invariant asserted from the records.

One soak (about 30 s on two cores) is shared by the tests of this module: it plays the published fault
mix and everything the soak adds (a persistent row-remap failure, flapping, correlated failures, a
customer's crashing job, PagerDuty down for an hour, a restart, a killed worker, a fleet-wide silence).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetops.sim.invariants import INVARIANTS
from fleetops.sim.measures import runs_of
from fleetops.sim.scenario import Cure
from fleetops.sim.soak import Soak, SoakResult

SEED, DAYS, NODES = 7, 1.0, 500
pytestmark = pytest.mark.xdist_group("soak")


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[Soak, SoakResult]:
    soak = Soak(SEED, DAYS, NODES, directory=Path(tmp_path_factory.mktemp("soak")))
    return soak, soak.run()


@pytest.fixture(scope="module")
def result(played: tuple[Soak, SoakResult]) -> SoakResult:
    return played[1]


@pytest.mark.parametrize("name", [i.name for i in INVARIANTS])
def test_no_invariant_is_violated(result: SoakResult, name: str) -> None:
    found = next(i for i in result.invariants if i["name"] == name)
    assert found["violations"] == 0, "\n".join(found["examples"])


def test_the_day_had_everything_the_soak_promises(result: SoakResult) -> None:
    kinds = result.scenario["by_kind"]
    for extra in ("flapping", "tor_switch", "rack_power", "fabric", "customer_job"):
        assert kinds.get(extra), f"no {extra} in {kinds}"
    assert len(result.scenario["disruptions"]) == 5
    assert result.scenario["workers_killed"] >= 1
    assert result.errors == []  # no task of the worker failed


def test_a_persistent_fault_gets_one_ticket_however_long_health_reports_it(
    played: tuple[Soak, SoakResult],
) -> None:
    """The RMA loop: a GPU that stays broken was re-reported by health every cycle, and each re-report
    became a new run and a new supplier ticket. One fault, one run, one ticket."""
    evidence = played[0].last_evidence
    persistent = [f for f in evidence.truth if f.cure is Cure.PART and f.effect == "hbm"]
    assert persistent
    for fault in persistent:
        runs = runs_of(evidence, fault)
        tickets = [t for t in evidence.tickets if t.path == "remediation" and set(fault.hosts) & t.hosts]
        assert len(runs) == 1 and runs[0]["ticket"], runs
        assert len(tickets) == 1, tickets


def test_the_figures_are_measured(result: SoakResult) -> None:
    measures = result.measures
    assert measures["runs"] > 0
    assert measures["mttr"]["software"]["n"] + measures["mttr"]["hardware"]["n"] > 0
    assert measures["mttr"]["hand_off"]["n"] > 0
    assert measures["tickets_per_hardware_fault"] is not None
    assert measures["gpu_hours_lost"] > 0
    assert 0 <= measures["pages_per_day"] < 50
