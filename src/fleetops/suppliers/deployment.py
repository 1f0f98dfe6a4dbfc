"""Deployment success per supplier: of the nodes whose bring-up settled, the share that reached ready
without a person (the same escalation count `deploy.measures` reads as "needing a human")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from fleetops.deploy.choices import BringupState
from fleetops.deploy.models import NodeBringup
from fleetops.inventory.models import Site


def success(session: Session, supplier_ids: list[int], start: datetime, end: datetime) -> dict:
    """Per supplier id, (attempted, succeeded) over bring-ups enrolled in [start, end) that settled by
    `end`: ready, or handed to a person. Bring-ups still under way are not judged yet."""
    ready = NodeBringup.state == BringupState.READY.value
    alone = case((ready & (NodeBringup.escalations == 0), 1), else_=0)
    query = (
        select(Site.supplier_id, func.count(), func.coalesce(func.sum(alone), 0))
        .join(Site, Site.id == NodeBringup.site_id)
        .where(
            Site.supplier_id.in_(supplier_ids),
            NodeBringup.enrolled_at >= start,
            NodeBringup.enrolled_at < end,
            or_(ready, NodeBringup.escalations > 0),
        )
        .group_by(Site.supplier_id)
    )
    return {sid: (tried, int(ok)) for sid, tried, ok in session.execute(query)}
