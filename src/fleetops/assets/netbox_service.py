"""NetBox as configured ([assets.netbox]): a sync or a drift report on demand (API, CLI) and on the
worker's schedule. Staff only: the report names every device of every tenant."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fleetops.adapters.netbox.client import NetboxClient
from fleetops.assets import drift, netbox_pull, netbox_sync
from fleetops.backends.settings import Netbox
from fleetops.config import settings
from fleetops.db.session import Database
from fleetops.errors import Conflict, FleetopsError, NotConfigured

WORKER = "fleetops:worker"
LOCK_KEY = 0x6E6574626F78  # "netbox": PostgreSQL's advisory lock of the sync, shared by every process
log = logging.getLogger("fleetops.worker")
_running: threading.Thread | None = None  # the worker's sync in flight, if any
_syncing = threading.Lock()  # this process's sync in flight: the worker's thread or an API call


def configured() -> Netbox:
    found = settings().assets.netbox
    if found is None:
        raise NotConfigured("netbox: no [assets.netbox] settings (url, token)")
    return found


def client() -> NetboxClient:
    found = configured()
    return NetboxClient(found.url, found.token.get_secret_value(), verify=found.verify_tls)


@contextmanager
def _one_at_a_time(database: Database) -> Iterator[None]:
    """Two syncs at once would both create the objects neither has linked yet: duplicates in NetBox, and
    links overwritten. Refused (409) while another runs, in this process or, on PostgreSQL, in any
    (a session advisory lock, on a connection of its own with no transaction open, for the sync's length;
    a process that dies releases it with its connection)."""
    if not _syncing.acquire(blocking=False):
        raise Conflict("netbox: a sync is already running")
    try:
        if database.is_sqlite:
            yield
            return
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}):
                raise Conflict("netbox: a sync is already running (another process)")
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
    finally:
        _syncing.release()


def sync(database: Database, actor: str) -> dict[str, int]:
    """NetBox's edits pulled first (placement, an asset's status: netbox_pull.py), then fleetops' pushed:
    a field the pull took is no longer a difference for the push to leave as a conflict. A pull that fails
    (a token that may write devices but not read the change log, a change NetBox cannot serve) is logged
    and counted, and the push goes on: it never reverts a field NetBox changed, pulled or not."""
    with _one_at_a_time(database):
        netbox = client()
        try:
            try:
                pulled = netbox_pull.pull(database, netbox, actor)
            except FleetopsError as failed:
                log.warning("netbox pull failed, pushing anyway: %s", failed.message)
                pulled = Counter({"pull failed": 1})
            found = configured()
            pushed = netbox_sync.sync(database, netbox, actor, found.batch, found.concurrency)
            return dict(pulled + pushed)
        finally:
            netbox.close()


def drift_report(session: Session) -> dict[str, Any]:
    """Every difference, their count by kind, and model completeness per pod."""
    netbox = client()
    try:
        found = drift.report(session, netbox)
    finally:
        netbox.close()
    gone = frozenset(d.key for d in found if (d.kind, d.object) == ("missing_in_netbox", "devices"))
    miscabled = frozenset(d.key for d in found if d.object == "cables" and d.kind != "missing_in_fleetops")
    return {
        "counts": dict(Counter(d.kind for d in found)),
        "drift": [vars(d) for d in found],
        "completeness": drift.completeness(session, gone, miscabled),
    }


def tick(database: Database) -> int:
    """The worker's turn: start a sync in a thread of its own (1), unless NetBox is not configured or the
    last one still runs (0). A first sync takes minutes against a real NetBox; the worker's other tasks,
    alert delivery every second among them, must not wait for it."""
    global _running
    if settings().assets.netbox is None or (_running is not None and _running.is_alive()):
        return 0
    _running = threading.Thread(target=_sync_logged, args=(database,), name="netbox-sync", daemon=True)
    _running.start()
    return 1


def _sync_logged(database: Database) -> None:
    try:
        done = sync(database, WORKER)
    except Conflict as busy:  # an API call's sync, or another worker's: this turn is theirs
        log.info("netbox sync skipped: %s", busy)
        return
    except Exception:  # noqa: BLE001 - logged and retried at the next turn, like any worker task
        log.exception("netbox sync failed")
        return
    log.info("netbox sync", extra={"done": done})
