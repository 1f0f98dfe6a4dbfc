"""Reading each node's firmware from its BMC into the software inventory, a few nodes per turn.

The worker's `security.firmware` task reads up to `BATCH` nodes a turn, round the fleet in id order, and
stops a turn once `BUDGET_S` is spent: the worker runs its tasks one after the other, so a turn must not
hold up deploy and remediation. At one turn a minute that is up to 36,000 BMC reads a day (every node of
a 10,000-node fleet three times); BMCs slower than 0.4 s a node read fewer (at 2 s a node, 7,200 a day).
A BMC that does not answer is logged and tried again next time round; the node keeps its last versions.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from fleetops import clock
from fleetops.adapters.redfish import FirmwareInventory
from fleetops.adapters.redfish.bmcs import Bmcs
from fleetops.db.session import Database
from fleetops.errors import FleetopsError
from fleetops.inventory.choices import NodeState
from fleetops.inventory.models import Node
from fleetops.security import software

log = logging.getLogger("fleetops.security.firmware")
BATCH = 25
BUDGET_S = 10.0
_reader: Bmcs[FirmwareInventory] | None = None
_after = 0  # the last node id read: a node whose BMC never answers cannot hold the others up


def use_reader(bmcs: Bmcs[FirmwareInventory] | None) -> None:
    """Installed by `backends.wiring` with the real BMC logins (a new round starts); unset (simulation),
    the task does nothing."""
    global _reader, _after
    _reader, _after = bmcs, 0


def due(database: Database, after: int, limit: int = BATCH) -> list[tuple[int, str, str]]:
    """(node id, hostname, BMC address) of the next `limit` nodes with a BMC, by id after `after`."""
    stmt = (
        select(Node.id, Node.hostname, Node.bmc_address)
        .where(Node.id > after, Node.bmc_address.is_not(None), Node.state != NodeState.DECOMMISSIONED)
        .order_by(Node.id)
        .limit(limit)
    )
    with database.transaction() as session:
        return [(node_id, hostname, bmc or "") for node_id, hostname, bmc in session.execute(stmt)]


def collect(
    database: Database,
    bmcs: Bmcs[FirmwareInventory],
    nodes: list[tuple[int, str, str]],
    budget_s: float | None = None,
) -> tuple[int, int]:
    """Read and store the firmware of `nodes` in order, stopping once `budget_s` is spent; returns how
    many nodes answered and the id of the last node tried (0 when none was)."""
    answered, last = 0, 0
    deadline = time.monotonic() + budget_s if budget_s is not None else None
    for node_id, hostname, bmc_address in nodes:
        if deadline is not None and last and time.monotonic() >= deadline:
            break
        last = node_id
        try:
            client, system = bmcs.system(hostname, bmc_address)
            listed = client.firmware(system)
        except FleetopsError as error:
            log.warning("node %s: firmware not read: %s", hostname, error.message)
            continue
        with database.transaction() as session:
            software.observe(session, software.from_firmware(node_id, listed), clock.now())
        answered += 1
    return answered, last


def tick(database: Database) -> int:
    """One turn: the next nodes in id order after the last one tried, from the start again at the end."""
    global _after
    if _reader is None:
        return 0
    nodes = due(database, _after) or due(database, 0)
    answered, _after = collect(database, _reader, nodes, BUDGET_S)
    return answered
