"""The FastAPI application: API routers, the console, /metrics, probes, API docs, problem+json errors."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from time import perf_counter

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from fleetops import __version__
from fleetops.addons import api as addons_api
from fleetops.addons import views as addons_views
from fleetops.alerts import api as alerts_api
from fleetops.alerts import views as alerts_views
from fleetops.api import metrics, probes, problems
from fleetops.api.routes import audit, inventory
from fleetops.assets import api as assets_api
from fleetops.assets import views as assets_views
from fleetops.backends.wiring import install
from fleetops.clustermax import api as clustermax_api
from fleetops.clustermax import views as clustermax_views
from fleetops.config import settings
from fleetops.cycles import settled
from fleetops.db.session import get_database
from fleetops.deploy import api as deploy_api
from fleetops.deploy import views as deploy_views
from fleetops.health import api as health_api
from fleetops.health import views as health_views
from fleetops.logs import configure
from fleetops.metrics_proxy import api as metrics_proxy_api
from fleetops.metrics_proxy import views as metrics_proxy_views
from fleetops.okr import api as okr_api
from fleetops.okr import views as okr_views
from fleetops.remediation import api as remediation_api
from fleetops.remediation import views as remediation_views
from fleetops.security import api as security_api
from fleetops.security import views as security_views
from fleetops.security.access import api as access_api
from fleetops.security.access import views as access_views
from fleetops.security.incidents import api as security_incidents_api
from fleetops.security.incidents import views as security_incidents_views
from fleetops.security.updates import api as security_updates_api
from fleetops.security.updates import views as security_updates_views
from fleetops.suppliers import api as suppliers_api
from fleetops.suppliers import views as suppliers_views
from fleetops.web import pages
from fleetops.web.views import STATIC

DESCRIPTION = """Operations platform for GPU clouds. Every endpoint takes `Authorization: Bearer <token>`
(create one with `fleetops token create`) except the probes `/healthz` and `/readyz`, which a load balancer
calls without one. Errors are RFC 9457 problem+json. Lists page with `cursor`."""

ROUTERS = (
    health_api.router,
    inventory.router,
    audit.router,
    alerts_api.router,
    deploy_api.router,
    remediation_api.router,
    security_api.router,
    access_api.router,
    security_incidents_api.router,
    security_updates_api.router,
    assets_api.router,
    assets_views.router,
    metrics.router,
    probes.router,
    pages.router,
    health_views.router,
    remediation_views.router,
    alerts_views.router,
    deploy_views.router,
    suppliers_api.router,
    suppliers_views.router,
    okr_api.router,
    okr_views.router,
    clustermax_api.router,
    clustermax_views.router,
    addons_api.router,
    addons_views.router,
    metrics_proxy_api.router,
    metrics_proxy_views.router,
    security_views.router,
    access_views.router,
    security_incidents_views.router,
    security_updates_views.router,
)


SWAGGER_UI = "/static/vendor/swagger-ui-dist-5.36.0"
REDOC = "/static/vendor/redoc-2.5.4"
# The docs pages may load nothing from elsewhere: ReDoc 2.5 draws its footer logo from cdn.redoc.ly
# whatever its options say, and an inline-scripted page should not be able to fetch from anywhere else.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


class App(FastAPI):
    """FastAPI, with the agents' report POST (every node, every 30 s) answered before FastAPI's own stack
    runs (`health.api.serve_reports`): ~11 % of that POST's busy samples went to FastAPI's per-request
    telemetry check, body-limit and error wrappers (py-spy, SQLite, paced at 333 POSTs/s).

    Every HTTP request, that POST included, is counted and timed here (`metrics.HTTP`), outside both
    paths, by the route template Starlette matched: a middleware inside FastAPI would miss the POST."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started, status = perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        report = health_api.is_report_post(scope)
        try:
            if report:
                await health_api.serve_reports(self, scope, receive, sending)
            else:
                await super().__call__(scope, receive, sending)
        finally:
            route = health_api.REPORTS_PATH if report else getattr(scope.get("route"), "path", "unmatched")
            metrics.HTTP.observe(scope["method"], route, status, perf_counter() - started)


def _docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc from the assets vendored under web/static/vendor: the docs work on an
    air-gapped control plane and send no operator's browser to a CDN."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="fleetops API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url="/openapi.json",
            title="fleetops API",
            redoc_js_url=f"{REDOC}/redoc.standalone.js",
            redoc_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page


def create_app() -> FastAPI:
    app = App(title="fleetops", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None)
    problems.install(app)
    pages.install(app)
    suppliers_views.install(app)  # the console's 403 page for a sales token off the scorecards
    for router in ROUTERS:
        app.include_router(router)
    _docs(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def create_process_app() -> FastAPI:
    """The app of one of several API processes (`fleetops serve --processes N`): each is a fresh
    interpreter, so it sets up fleetops' logging as `serve` did in the process that started it, and shares
    its HTTP counts with its siblings through a folder named after their supervisor (`metrics.HttpMeter`)."""
    configure(settings().log_level, settings().log_json)
    metrics.HTTP.share(Path(tempfile.gettempdir()) / f"fleetops-http-{os.getppid()}")
    install(settings(), get_database())  # the decommission's drain and wipe, which the API runs
    app = create_app()
    settled()
    return app
