"""The FastAPI application: API routers, the console, /metrics, problem+json errors."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from fleetops import __version__
from fleetops.api import metrics, problems
from fleetops.api.routes import audit, inventory
from fleetops.deploy import api as deploy_api
from fleetops.web import views
from fleetops.web.views import STATIC

DESCRIPTION = """Operations platform for GPU clouds. Every endpoint takes `Authorization: Bearer <token>`
(create one with `fleetops token create`). Errors are RFC 9457 problem+json. Lists page with `cursor`."""


def create_app() -> FastAPI:
    app = FastAPI(title="fleetops", version=__version__, description=DESCRIPTION)
    problems.install(app)
    for router in (inventory.router, audit.router, deploy_api.router, metrics.router, views.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
