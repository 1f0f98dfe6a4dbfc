"""Loading a simulated fleet through the real import path."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from fleetops.db.session import Database
from fleetops.inventory.apply import apply_document
from fleetops.inventory.models import Node
from fleetops.inventory.reading import RawDocument
from fleetops.sim.fleet import generate


def seed_fleet(
    database: Database,
    seed: int,
    nodes: int,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Import the generated fleet; without `force`, only into an empty inventory. Returns nodes added."""
    with database.transaction() as session:
        if not force and session.scalar(select(func.count(Node.id))):
            return 0
        doc = RawDocument(generate(seed, nodes), "simulated fleet")
        result = apply_document(session, "sim", doc, progress=progress)
    return result.created["node"]
