"""The run's own table: the engine pauses and completes a run through `fsm.move_run`, like a person's
moves, so each change is audited; a cluster with no update commands waits undrained, saying so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fleetops.adapters.slurm.fake import FakeScheduler
from fleetops.audit.models import AuditEvent
from fleetops.auth.principal import SYSTEM
from fleetops.backends import wiring
from fleetops.config import Settings
from fleetops.errors import InvalidTransition
from fleetops.inventory.apply import apply_document
from fleetops.inventory.schemas import Document
from fleetops.security.updates import service
from fleetops.security.updates.choices import RunState, Step
from fleetops.security.updates.engine import Engine
from fleetops.security.updates.hooks import CommandHook, FakeHook
from fleetops.security.updates.rehearsal import staging_fleet


def planned(database, nodes: int = 4) -> None:
    with database.transaction() as session:
        apply_document(session, "test", Document.model_validate(staging_fleet("staging", nodes)))
        service.plan(session, SYSTEM, "u1", "staging", "CVE-2026-0001", 50)
        service.move(session, SYSTEM, "u1", RunState.RUNNING, "go")


def moves(database) -> list[tuple[str, list[str]]]:
    with database.transaction() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "security_update.move").order_by(AuditEvent.id)
        )
        return [(row.actor, row.changes["state"]) for row in rows]


def settle(database, engine: Engine) -> None:
    for _ in range(100):
        if not engine.tick(database):
            return


def test_the_engine_completes_and_pauses_through_the_runs_table(database):
    planned(database)
    settle(database, Engine(lambda c, o: FakeScheduler(), lambda c: FakeHook()))
    assert moves(database) == [
        ("admin:fleetops", ["planned", "running"]),
        ("system:emergency-update", ["running", "completed"]),
    ]
    with (
        database.transaction() as session,
        pytest.raises(InvalidTransition, match="completed → running is not allowed"),
    ):
        service.move(session, SYSTEM, "u1", RunState.RUNNING, "again")


def test_a_failure_pauses_once_and_a_person_resumes(database):
    planned(database)
    broken = FakeHook(broken={"staging-n000", "staging-n001"})
    settle(database, Engine(lambda c, o: FakeScheduler(), lambda c: broken))
    assert moves(database)[1:] == [("system:emergency-update", ["running", "paused"])]
    with database.transaction() as session:
        run = service.move(session, SYSTEM, "u1", RunState.RUNNING, "looked at both")
        assert "staging-n000" in (run.reason or "")


def test_a_cluster_without_update_commands_waits_undrained(database):
    planned(database, nodes=2)
    scheduler = FakeScheduler()
    hooks = wiring.update_hooks(Settings())
    Engine(lambda c, o: scheduler, hooks).tick(database)
    assert not any("DRAIN" in state for state in scheduler.nodes.values())
    with database.transaction() as session:
        run = service.get(session, SYSTEM, "u1")
        [first, *_] = service.nodes(session, run)
        assert first.state is Step.DRAINING
        assert "[fleetops.updates.clusters.staging] or [fleetops.updates.default]" in (first.last_error or "")
    configured = Settings.model_validate({"updates": {"default": {"update": "true", "qualify": "true"}}})
    assert wiring.update_hooks(configured)("staging") == CommandHook("true", "true", "staging", 3600)


def test_a_command_hook_keeps_each_placeholder_one_argument(tmp_path):
    out = tmp_path / "argv"
    hook = CommandHook(
        f"sh -c 'printf %s\\\\n \"$@\" > {out}' update {{hostname}} {{bulletin}}", "false", "c1"
    )
    hook.update("n1", "CVE-1; rm -rf / (critical)")
    assert out.read_text().splitlines() == ["n1", "CVE-1; rm -rf / (critical)"]
    with pytest.raises(Exception, match="false exited 1"):
        hook.qualify("n1")
