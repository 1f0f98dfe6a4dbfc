"""Every console page's router, in one place for the app to include (`fleetops.api.app.ROUTERS`)."""

from __future__ import annotations

from fastapi import APIRouter

from fleetops.web import landing, views

router = APIRouter(include_in_schema=False)
for part in (views.router, landing.router):
    router.include_router(part)
