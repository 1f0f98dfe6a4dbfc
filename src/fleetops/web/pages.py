"""Every console page's router, in one place for the app to include (`fleetops.api.app.ROUTERS`), and the
console's friendly error pages (`install`)."""

from __future__ import annotations

from fastapi import APIRouter

from fleetops.web import actions, clusters, landing, nodes, racks, search, views
from fleetops.web.errors import install

router = APIRouter(include_in_schema=False)
for part in (
    views.router,
    landing.router,
    search.router,
    clusters.router,
    racks.router,
    actions.router,
    nodes.router,
):
    router.include_router(part)

__all__ = ["install", "router"]
