"""Leased work: the one mechanism under every engine (deploy's bring-ups, remediation's runs).

A row of work carries `due_at`, `lease_owner` and `lease_expires_at`. A worker claims due rows with a
lease (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, so many workers share a queue without waiting on
each other; SQLite: one atomic `UPDATE ... WHERE id IN (due rows)`, which its single writer makes
exclusive), calls the outside world with no transaction open while a `Heartbeat` renews its leases, and
writes back only the rows it still holds, set-based. A live worker keeps its rows however long a BMC
takes; a dead one loses them within `LEASE_S`, and the next worker resumes the same step (every step is
idempotent and records its intent before it calls).

Measured before this: a killed worker's 600 s lease stalled a whole sub-pod rollout for 10 minutes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Select, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.db.session import Database

log = logging.getLogger("fleetops.worker")
LEASE_S = 60.0  # how long a dead worker keeps its rows; a live one renews every third of it


class Leased(Protocol):
    """One claimed row during one tick: its id, the values it writes back and its history rows."""

    @property
    def row_id(self) -> int: ...

    @property
    def transitions(self) -> list[Any]: ...

    def row_update(self, owner: str, keep_lease: bool) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Queue:
    """A table of leased work and its history table; `written` are the columns a tick may change."""

    table: Table
    history: Table
    written: tuple[str, ...]

    def claim(self, session: Session, due: Select[Any], owner: str, lease_s: float = LEASE_S) -> bool:
        """Lease the rows `due` selects (ids, oldest first, limited) to `owner`; False when none."""
        t = self.table
        expires = clock.now() + timedelta(seconds=lease_s)
        if session.get_bind().dialect.name == "postgresql":
            ids = session.scalars(due.with_for_update(skip_locked=True, of=t)).all()
            if not ids:
                return False
            session.execute(
                update(t).where(t.c.id.in_(ids)).values(lease_owner=owner, lease_expires_at=expires)
            )
            return True
        result = cast(
            CursorResult[Any],
            session.execute(
                update(t)
                .where(t.c.id.in_(due.scalar_subquery()))
                .values(lease_owner=owner, lease_expires_at=expires)
            ),
        )
        return bool(result.rowcount)

    def renew(self, session: Session, owner: str, lease_s: float = LEASE_S) -> int:
        t = self.table
        expires = clock.now() + timedelta(seconds=lease_s)
        result = cast(
            CursorResult[Any],
            session.execute(update(t).where(t.c.lease_owner == owner).values(lease_expires_at=expires)),
        )
        return int(result.rowcount or 0)

    def write(
        self,
        session: Session,
        works: Sequence[Leased],
        owner: str,
        keep: Callable[[Any], bool],
        then: Callable[[Session, list[Any]], None] | None = None,
    ) -> list[Any]:
        """Write a phase's results, only for rows `owner` still leases (a person may have taken one back,
        a lease may have expired); `keep` says which rows stay leased for the next phase, `then` what
        follows from the written works' history (node states...) in the same transaction. Returns the
        works written; their history rows are written and cleared."""
        t = self.table
        ids = [w.row_id for w in works]
        # Touch first: takes the write lock (SQLite) or the row locks (PostgreSQL) before reading ownership.
        session.execute(update(t).where(t.c.id.in_(ids), t.c.lease_owner == owner).values(lease_owner=owner))
        still = set(session.scalars(select(t.c.id).where(t.c.id.in_(ids), t.c.lease_owner == owner)))
        mine = [w for w in works if w.row_id in still]
        if not mine:
            return mine
        columns = (*self.written, "updated_at", "lease_owner", "lease_expires_at")
        statement = (
            update(t)
            .where(t.c.id == bindparam("w_id"), t.c.lease_owner == bindparam("w_owner"))
            .values({key: bindparam(key) for key in columns})
        )
        session.connection().execute(statement, [w.row_update(owner, keep(w)) for w in mine])
        history = [h.row() for w in mine for h in w.transitions]
        if history:
            session.execute(insert(self.history), history)
        if then is not None:
            then(session, mine)
        for work in mine:
            work.transitions.clear()
        return mine


class Heartbeat:
    """Renews `owner`'s leases every third of the lease while the block runs (the executor phase), so a
    slow BMC or provisioning API never lets a live worker's row go to another; a quick phase (every
    simulated one) ends before the first beat and writes nothing."""

    def __init__(
        self, database: Database, queue: Queue, owner: str, lease_s: float = LEASE_S, active: bool = True
    ) -> None:
        """`active=False` for a phase with nothing to call: no thread is started for it (most ticks)."""
        self.database, self.queue, self.owner, self.lease_s = database, queue, owner, lease_s
        self.active = active
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{owner}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            try:
                with self.database.transaction() as session:
                    self.queue.renew(session, self.owner, self.lease_s)
            except Exception:  # noqa: BLE001 - a missed beat is retried; the lease outlasts two of them
                log.exception("lease renewal failed", extra={"owner": self.owner})

    def __enter__(self) -> Heartbeat:
        if self.active:
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self.active:
            self._thread.join()
