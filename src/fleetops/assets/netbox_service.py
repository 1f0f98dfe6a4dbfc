"""NetBox as configured ([assets.netbox]): a sync or a drift report on demand (API, CLI) and on the
worker's schedule. Staff only: the report names every device of every tenant."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from fleetops.adapters.netbox.client import NetboxClient
from fleetops.assets import drift, netbox_sync
from fleetops.backends.settings import Netbox
from fleetops.config import settings
from fleetops.db.session import Database
from fleetops.errors import NotConfigured

WORKER = "fleetops:worker"
log = logging.getLogger("fleetops.worker")
_running: threading.Thread | None = None  # the worker's sync in flight, if any


def configured() -> Netbox:
    found = settings().assets.netbox
    if found is None:
        raise NotConfigured("netbox: no [assets.netbox] settings (url, token)")
    return found


def client() -> NetboxClient:
    found = configured()
    return NetboxClient(found.url, found.token.get_secret_value(), verify=found.verify_tls)


def sync(database: Database, actor: str) -> dict[str, int]:
    netbox = client()
    try:
        return dict(netbox_sync.sync(database, netbox, actor, batch=configured().batch))
    finally:
        netbox.close()


def drift_report(session: Session) -> dict[str, Any]:
    """Every difference, their count by kind, and model completeness per pod."""
    netbox = client()
    try:
        found = drift.report(session, netbox)
    finally:
        netbox.close()
    return {
        "counts": dict(Counter(d.kind for d in found)),
        "drift": [vars(d) for d in found],
        "completeness": drift.completeness(
            session, frozenset(d.key for d in found if (d.kind, d.object) == ("missing_in_netbox", "devices"))
        ),
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
    except Exception:  # noqa: BLE001 - logged and retried at the next turn, like any worker task
        log.exception("netbox sync failed")
        return
    log.info("netbox sync", extra={"done": done})
