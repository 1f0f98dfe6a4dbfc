"""The FastAPI application: API routers, the console, /metrics, problem+json errors."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from fleetops import __version__
from fleetops.alerts import api as alerts_api
from fleetops.alerts import views as alerts_views
from fleetops.api import metrics, problems
from fleetops.api.routes import audit, inventory
from fleetops.config import settings
from fleetops.deploy import api as deploy_api
from fleetops.deploy import views as deploy_views
from fleetops.health import api as health_api
from fleetops.health import views as health_views
from fleetops.logs import configure
from fleetops.remediation import api as remediation_api
from fleetops.remediation import views as remediation_views
from fleetops.web import views
from fleetops.web.views import STATIC

DESCRIPTION = """Operations platform for GPU clouds. Every endpoint takes `Authorization: Bearer <token>`
(create one with `fleetops token create`). Errors are RFC 9457 problem+json. Lists page with `cursor`."""

ROUTERS = (
    health_api.router,
    inventory.router,
    audit.router,
    alerts_api.router,
    deploy_api.router,
    remediation_api.router,
    metrics.router,
    views.router,
    health_views.router,
    remediation_views.router,
    alerts_views.router,
    deploy_views.router,
)


class App(FastAPI):
    """FastAPI, with the agents' report POST (every node, every 30 s) answered before FastAPI's own stack
    runs (`health.api.serve_reports`): ~11 % of that POST's busy samples went to FastAPI's per-request
    telemetry check, body-limit and error wrappers (py-spy, SQLite, paced at 333 POSTs/s)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if health_api.is_report_post(scope):
            await health_api.serve_reports(self, scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app() -> FastAPI:
    app = App(title="fleetops", version=__version__, description=DESCRIPTION)
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def create_process_app() -> FastAPI:
    """The app of one of several API processes (`fleetops serve --processes N`): each is a fresh
    interpreter, so it sets up fleetops' logging as `serve` did in the process that started it."""
    configure(settings().log_level, settings().log_json)
    return create_app()
