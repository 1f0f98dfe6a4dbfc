"""FSH silence per supplier: node-seconds of the open `node_silent` findings the coverage sweep writes
(`health.coverage`), so a period's FSH coverage is one minus silent over contracted node-time."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fleetops.health.evaluate import NODE_SILENT
from fleetops.health.models import HealthFinding
from fleetops.inventory.models import Node, Rack, Site


def silent_seconds(session: Session, supplier_ids: list[int], start: datetime, end: datetime) -> dict:
    """Per supplier id, the seconds within [start, end) its nodes were marked silent."""
    query = (
        select(Site.supplier_id, HealthFinding.opened_at, HealthFinding.resolved_at)
        .join(Node, Node.id == HealthFinding.node_id)
        .join(Rack, Rack.id == Node.rack_id)
        .join(Site, Site.id == Rack.site_id)
        .where(
            Site.supplier_id.in_(supplier_ids),
            HealthFinding.check == NODE_SILENT,
            HealthFinding.opened_at < end,
            or_(HealthFinding.resolved_at.is_(None), HealthFinding.resolved_at > start),
        )
    )
    out: dict[int, float] = defaultdict(float)
    for supplier_id, opened, resolved in session.execute(query):
        stop = min(resolved or end, end)
        out[supplier_id] += max(0.0, (stop - max(opened, start)).total_seconds())
    return out
