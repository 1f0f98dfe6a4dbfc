"""The recovery ladder over a whole bring-up, on the engine: persistent faults reach a person in bounded
ticks, whatever else fails in between; every re-image pass asks for a new image; a node recovers once."""

from __future__ import annotations

from sqlalchemy import select

from fleetops.auth.principal import SYSTEM
from fleetops.deploy import ledger, service
from fleetops.deploy.backends import Backends, SimulatedPower
from fleetops.deploy.choices import BringupState
from fleetops.deploy.claim import Limits
from fleetops.deploy.engine import Engine
from fleetops.deploy.models import NodeBringup
from fleetops.deploy.provision import request_key
from fleetops.inventory.models import Node
from tests.deploy.fleet import ScriptedStep, drive, start_rollout

# Ticks a one-node bring-up may take before the test calls it a loop: the full ladder of two steps with
# every move in a tick of its own stays under 100.
BOUNDED = 150


def engine(**steps: ScriptedStep) -> Engine:
    scripted = {
        name: steps.get(name, ScriptedStep(name)) for name in ("provisioner", "hardening", "qualifier")
    }
    backends = Backends(
        power=SimulatedPower("power"),
        provisioner=scripted["provisioner"],
        hardening=scripted["hardening"],
        qualifier=scripted["qualifier"],
        joiner=steps.get("joiner", ScriptedStep("joiner")),
    )
    return Engine(backends, Limits(threads=1))


def the_row(database) -> NodeBringup:
    with database.transaction() as session:
        row = session.scalars(select(NodeBringup)).one()
        session.expunge(row)
        return row


def test_a_burn_in_that_always_fails_ends_on_the_human_queue(database, manual_clock):
    start_rollout(database, nodes=1)
    qualifier = ScriptedStep("qualifier", fails=lambda ctx: True)
    drive(database, engine(qualifier=qualifier), manual_clock, limit=BOUNDED)
    row = the_row(database)
    with database.transaction() as session:
        queue = service.needs_human(session, "r1")
        node_state = session.scalar(select(Node.state))
    assert row.state == BringupState.NEEDS_HUMAN and node_state == "repair"
    assert [entry["action"] for entry in row.evidence["failures"]] == [
        "retry",
        "retry",
        "power_cycle",
        "reimage",
        "escalate",
    ]
    assert len(qualifier.runs) == 5
    assert queue[0]["failed_step"] == "qualifying"
    assert queue[0]["evidence"]["escalation"] == {
        "step": "qualifying",
        "step_failures": 5,
        "failures": 5,
        "last_errors": [
            f"qualifying: qualifier: scripted failure on n00000 (run {run})" for run in (3, 4, 5)
        ],
    }


def test_an_imaging_failure_on_the_re_image_pass_keeps_the_burn_in_count(database, manual_clock):
    """The loop of `bench_deploy.py subpod --seed 3`: each re-image pass met one transient imaging
    failure, which used to start a new episode and hand the persistent burn-in fault a fresh ladder."""
    start_rollout(database, nodes=1)
    provisioner = ScriptedStep("provisioner")
    # Each re-image pass meets one transient imaging failure: the 2nd, 4th... imaging runs fail.
    provisioner.fails = lambda ctx: len(provisioner.runs) % 2 == 0
    qualifier = ScriptedStep("qualifier", fails=lambda ctx: True)
    drive(database, engine(provisioner=provisioner, qualifier=qualifier), manual_clock, limit=BOUNDED)
    row = the_row(database)
    assert row.state == BringupState.NEEDS_HUMAN
    assert row.evidence["escalation"]["step"] == "qualifying"
    assert ledger.read(row.evidence, BringupState.QUALIFYING, ledger.FAILURES) == 5
    assert ledger.read(row.evidence, BringupState.PROVISIONING, ledger.FAILURES) == 1
    assert len(provisioner.runs) == 3 and len(qualifier.runs) == 5
    assert row.failures == 6 and row.recovered == 0


def test_every_re_image_pass_asks_for_a_new_image(database, manual_clock):
    """An idempotent provisioning API hands back whatever the key already names: a re-image pass that
    reused a key would get the old image back instead of a new one."""
    start_rollout(database, nodes=1)
    provisioner = ScriptedStep("provisioner")
    # The burn-in recovers on the first re-image pass; the join then fails for good and re-images again.
    qualifier = ScriptedStep("qualifier", fails=lambda ctx: ctx.attempt <= 4)
    joiner = ScriptedStep("joiner", fails=lambda ctx: True)
    drive(
        database, engine(provisioner=provisioner, qualifier=qualifier, joiner=joiner), manual_clock, BOUNDED
    )
    keys = [request_key(ctx) for ctx in provisioner.runs]
    assert len(keys) == 3 and len(set(keys)) == 3, keys
    row = the_row(database)
    assert row.state == BringupState.NEEDS_HUMAN and row.evidence["escalation"]["step"] == "joining"


def test_a_node_recovered_from_two_failures_counts_once(database, manual_clock):
    start_rollout(database, nodes=2)
    provisioner = ScriptedStep("provisioner", fails=lambda ctx: ctx.hostname == "n00000" and ctx.attempt == 1)
    qualifier = ScriptedStep("qualifier", fails=lambda ctx: ctx.hostname == "n00000" and ctx.attempt == 1)
    drive(database, engine(provisioner=provisioner, qualifier=qualifier), manual_clock, limit=BOUNDED)
    with database.transaction() as session:
        status = service.status(session, "r1")
    assert status["counts"]["ready"] == 2
    assert status["failures"] == 2
    assert status["recovered_automatically"] == 1
    assert status["share_recovered_automatically"] == 1.0


def test_a_person_gives_the_node_a_fresh_ladder_and_a_fresh_key(database, manual_clock):
    start_rollout(database, nodes=1)
    provisioner = ScriptedStep("provisioner", fails=lambda ctx: True)
    test_engine = engine(provisioner=provisioner)
    drive(database, test_engine, manual_clock, limit=BOUNDED)
    assert the_row(database).state == BringupState.NEEDS_HUMAN
    with database.transaction() as session:
        service.retry_node(session, SYSTEM, "n00000", "replaced the boot disk")
    provisioner.fails = lambda ctx: False
    drive(database, test_engine, manual_clock, limit=BOUNDED)
    row = the_row(database)
    keys = [request_key(ctx) for ctx in provisioner.runs]
    assert row.state == BringupState.READY and len(set(keys)) == len(keys) == 6
    # It needed a person, so it does not count as recovered automatically.
    assert row.escalations == 1 and row.recovered == 0
