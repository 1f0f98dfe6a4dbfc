"""Reading each node's firmware from its BMC into the software inventory, a few nodes per turn.

The worker's `security.firmware` task reads `BATCH` nodes a turn, round the fleet in id order: at one
turn a minute that is 36,000 BMC reads a day, every node of a 10,000-node fleet about three times, while
a turn stays short enough not to hold up the worker's other tasks. A BMC that
does not answer is logged and tried again on a later turn; the node keeps its last known versions.
"""

from __future__ import annotations

import logging

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
_reader: Bmcs[FirmwareInventory] | None = None
_after = 0  # the last node id read: a node whose BMC never answers cannot hold the others up


def use_reader(bmcs: Bmcs[FirmwareInventory] | None) -> None:
    """Installed by `backends.wiring` with the real BMC logins; unset (simulation), the task does nothing."""
    global _reader
    _reader = bmcs


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


def collect(database: Database, bmcs: Bmcs[FirmwareInventory], nodes: list[tuple[int, str, str]]) -> int:
    """Read and store the firmware of `nodes`; returns how many nodes answered."""
    answered = 0
    for node_id, hostname, bmc_address in nodes:
        try:
            client, system = bmcs.system(hostname, bmc_address)
            listed = client.firmware(system)
        except FleetopsError as error:
            log.warning("node %s: firmware not read: %s", hostname, error.message)
            continue
        with database.transaction() as session:
            software.observe(session, software.from_firmware(node_id, listed), clock.now())
        answered += 1
    return answered


def tick(database: Database) -> int:
    """One turn: the next nodes in id order after the last turn's, from the start again at the end."""
    global _after
    if _reader is None:
        return 0
    nodes = due(database, _after) or due(database, 0)
    _after = nodes[-1][0] if nodes else 0
    return collect(database, _reader, nodes)
