"""The emergency update engine, on the shared leased-work mechanism (`fleetops.workers.leases`).

One `tick()`: admit waiting nodes up to the blast-radius cap, claim every working node with a lease,
run one step each with no transaction open (drain and resume through the cluster's scheduler, update
and qualify through the cluster's hook), then write states and history together for the rows still
held. A failure leaves its node drained and pauses the run: nodes already out finish, no new node is
drained. Runs pause and complete through their own table (`fsm.move_run`), like a person's moves.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.adapters.slurm import Scheduler
from fleetops.adapters.slurm.fake import FakeScheduler
from fleetops.audit.service import Change, record_many
from fleetops.db.session import Database
from fleetops.errors import NotConfigured
from fleetops.inventory.models import Cluster
from fleetops.security.updates import fsm
from fleetops.security.updates.choices import RunState, Step
from fleetops.security.updates.hooks import FakeHook, UpdateHook
from fleetops.security.updates.models import EmergencyUpdate, UpdateNode, UpdateStep
from fleetops.workers.engines import Installed
from fleetops.workers.leases import Heartbeat, Queue

N = cast(Table, UpdateNode.__table__)
QUEUE = Queue(N, cast(Table, UpdateStep.__table__), ("state", "last_error", "due_at"))
ACTOR = "system:emergency-update"
HELD = fsm.WORKING | {Step.FAILED}  # out of service: the cap counts a failed node until a person acts
WAIT_S = 30.0


@dataclass
class Engine:
    schedulers: Callable[[str, str], Scheduler]  # (cluster, orchestrator) → its scheduler
    hooks: Callable[[str], UpdateHook]  # cluster → what updates and qualifies its nodes
    owner: str = field(default_factory=lambda: f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    ticks: int = 0

    def tick(self, database: Database) -> int:
        self.ticks += 1
        token, now = f"{self.owner}:{self.ticks}", clock.now()
        with database.transaction() as session:
            admitted = admit(session, now)
            rows = claim(session, token, now)
        if not rows:  # most seconds: no lease thread, no second transaction
            return admitted
        works = [fsm.Work(row, now, ACTOR) for row in rows]
        with Heartbeat(database, QUEUE, token):
            for work in works:
                self._step(work)
        with database.transaction() as session:
            QUEUE.write(session, works, token, keep=lambda w: False, then=_follow)
        return admitted + len(works)

    def _step(self, work: fsm.Work) -> None:
        row, step = work.row, work.state
        try:
            scheduler = self.schedulers(row["cluster"], row["orchestrator"])
            if step is Step.DRAINING:
                self.hooks(row["cluster"])  # no update commands: wait here, not drained for nothing
                scheduler.drain(row["hostname"], f"emergency update {row['update']}: {row['bulletin']}")
            elif step is Step.UPDATING:
                self.hooks(row["cluster"]).update(row["hostname"], row["bulletin"])
            elif step is Step.QUALIFYING:
                self.hooks(row["cluster"]).qualify(row["hostname"])
            elif step is Step.RESUMING:
                scheduler.resume(row["hostname"])
        except NotConfigured as missing:  # waits at its step, saying why; never a failure
            row["last_error"] = missing.message
            work.now = clock.now() + timedelta(seconds=WAIT_S)  # written as the row's due_at
            return
        except Exception as error:  # noqa: BLE001 - kept verbatim on the node, which stays drained
            row["last_error"] = f"{step.value}: {error}"
            work.move(Step.FAILED, row["last_error"])
            return
        row["last_error"] = None
        work.move(fsm.PIPELINE[fsm.PIPELINE.index(step) + 1], f"{step.value} done")


def admit(session: Session, now: datetime) -> int:
    """Move waiting nodes to draining while each running update has room under its cap."""
    held = (
        select(UpdateNode.update_id, func.count())
        .where(UpdateNode.state.in_([s.value for s in HELD]))
        .group_by(UpdateNode.update_id)
    )
    out: dict[int, int] = {u: n for u, n in session.execute(held)}
    runs = session.execute(
        select(EmergencyUpdate.id, EmergencyUpdate.max_drained).where(
            EmergencyUpdate.state == RunState.RUNNING
        )
    )
    moved = 0
    for update_id, cap in runs:
        room = cap - out.get(update_id, 0)
        if room <= 0:
            continue
        waiting = session.execute(
            select(UpdateNode.id, UpdateNode.hostname)
            .where(UpdateNode.update_id == update_id, UpdateNode.state == Step.PENDING)
            .order_by(UpdateNode.id)
            .limit(room)
        ).all()
        if not waiting:
            continue
        ids = [w.id for w in waiting]
        session.execute(
            update(N).where(N.c.id.in_(ids)).values(state=Step.DRAINING.value, due_at=now, updated_at=now)
        )
        history = [
            fsm.Move(
                update_id,
                w.id,
                w.hostname,
                now,
                ACTOR,
                Step.PENDING,
                Step.DRAINING,
                f"admitted: {room} of {cap} free",
            ).row()
            for w in waiting
        ]
        session.execute(insert(UpdateStep), history)
        _audit(session, history)
        moved += len(ids)
    return moved


def claim(session: Session, owner: str, now: datetime) -> list[dict[str, Any]]:
    due = (
        select(UpdateNode.id)
        .join(EmergencyUpdate, EmergencyUpdate.id == UpdateNode.update_id)
        .where(
            EmergencyUpdate.state.in_([RunState.RUNNING, RunState.PAUSED]),
            UpdateNode.state.in_([s.value for s in fsm.WORKING]),
            UpdateNode.due_at <= now,
            or_(UpdateNode.lease_expires_at.is_(None), UpdateNode.lease_expires_at < now),
        )
        .order_by(UpdateNode.id)
        .limit(1000)
    )
    if not QUEUE.claim(session, due, owner):
        return []
    rows = session.execute(
        select(
            N,
            EmergencyUpdate.name.label("update"),
            EmergencyUpdate.bulletin,
            Cluster.name.label("cluster"),
            Cluster.orchestrator,
        )
        .join(EmergencyUpdate, EmergencyUpdate.id == N.c.update_id)
        .join(Cluster, Cluster.id == EmergencyUpdate.cluster_id)
        .where(N.c.lease_owner == owner)
        .order_by(N.c.id)
    )
    return [dict(r._mapping) for r in rows]


def _audit(session: Session, history: list[dict[str, Any]]) -> None:
    record_many(
        session,
        ACTOR,
        (
            Change(
                f"security_update.{h['to_state'].value}",
                "node",
                h["hostname"],
                {
                    "state": [h["from_state"].value, h["to_state"].value],
                    "why": h["reason"],
                    "update_id": h["update_id"],
                },
            )
            for h in history
        ),
    )


def _follow(session: Session, written: list[fsm.Work]) -> None:
    """Audit each move, pause a run at its first failure, complete a run whose nodes are all done."""
    _audit(session, [m.row() for w in written for m in w.transitions])
    # Each run's row is locked first (PostgreSQL), so two workers never both move it.
    runs = {
        update_id: session.get(EmergencyUpdate, update_id, with_for_update=True, populate_existing=True)
        for update_id in sorted({w.row["update_id"] for w in written})
    }
    for work in written:
        run = runs[work.row["update_id"]]
        failed = any(m.to_state is Step.FAILED for m in work.transitions)
        if failed and run is not None and run.state is RunState.RUNNING:
            fsm.move_run(
                session, run, RunState.PAUSED, ACTOR, f"{work.row['hostname']}: {work.row['last_error']}"
            )
    for update_id, run in runs.items():
        left = session.scalar(
            select(func.count()).where(UpdateNode.update_id == update_id, UpdateNode.state != Step.DONE)
        )
        if left == 0 and run is not None and run.state is not RunState.COMPLETED:
            fsm.move_run(session, run, RunState.COMPLETED, ACTOR, "every node updated and back in service")


def simulated() -> Engine:
    fake = FakeScheduler()
    hook = FakeHook()
    return Engine(lambda cluster, orchestrator: fake, lambda cluster: hook)


INSTALLED: Installed[Engine] = Installed("security-updates", simulated)
use_engine = INSTALLED.use
tick = INSTALLED.tick
