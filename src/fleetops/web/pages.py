"""Every console page's router, in one place for the app to include (`fleetops.api.app.ROUTERS`), and the
console's friendly error pages (`install`)."""

from __future__ import annotations

from fastapi import APIRouter

from fleetops.web import actions, audit, clusters, incidents, landing, nodes, racks, search, views
from fleetops.web.errors import install

router = APIRouter(include_in_schema=False)
for part in (views, landing, search, clusters, racks, actions, nodes, incidents, audit):
    router.include_router(part.router)

__all__ = ["install", "router"]
