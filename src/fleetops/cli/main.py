"""`fleetops`: the operator's command line."""

from __future__ import annotations

import os
import threading
from typing import Any

import typer

from fleetops import __version__
from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM
from fleetops.backends.wiring import install
from fleetops.cli.addons import app as addons_app
from fleetops.cli.alerts import app as alerts_app
from fleetops.cli.alerts import incidents_app, routes_app
from fleetops.cli.assets import app as assets_app
from fleetops.cli.audit import audit_app
from fleetops.cli.clustermax import app as clustermax_app
from fleetops.cli.config import config_app, doctor, ready_to_serve
from fleetops.cli.deploy import decommission_cluster, deploy_app
from fleetops.cli.health import app as health_app
from fleetops.cli.inventory import (
    clusters_app,
    customers_app,
    inventory_app,
    nodes_app,
    sites_app,
    suppliers_app,
)
from fleetops.cli.okr import app as okr_app
from fleetops.cli.output import OneLineErrors, console, reports_errors
from fleetops.cli.remediation import app as remediation_app
from fleetops.cli.security import app as security_app
from fleetops.cli.security_access import access_app, updates_app
from fleetops.cli.security_access import incidents_app as security_incidents_app
from fleetops.cli.sim import sim_app
from fleetops.cli.suppliers import export as export_scorecard
from fleetops.cli.suppliers import requirements_app, scorecard
from fleetops.config import settings
from fleetops.cycles import settled
from fleetops.db.migrate import upgrade
from fleetops.db.session import get_database
from fleetops.errors import InvalidInput
from fleetops.inventory.kinds import KINDS
from fleetops.logs import configure
from fleetops.sim.live import DEMO_ENVIRONMENT

app = typer.Typer(
    cls=OneLineErrors,
    help="fleetops: operations platform for GPU clouds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (stored hashed; shown once).", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (token_app, "token"),
    (config_app, "config"),
    (inventory_app, "inventory"),
    (suppliers_app, "suppliers"),
    (sites_app, "sites"),
    (customers_app, "customers"),
    (clusters_app, "clusters"),
    (nodes_app, "nodes"),
    (sim_app, "sim"),
    (deploy_app, "deploy"),
    (health_app, "health"),
    (alerts_app, "alerts"),
    (incidents_app, "incidents"),
    (routes_app, "routes"),
    (remediation_app, "remediation"),
    (audit_app, "audit"),
    (security_app, "security"),
    (assets_app, "assets"),
    (okr_app, "okr"),
    (addons_app, "addons"),
    (clustermax_app, "clustermax"),
):
    app.add_typer(sub, name=name)
suppliers_app.command("scorecard")(scorecard)
suppliers_app.command("export")(export_scorecard)
suppliers_app.add_typer(requirements_app, name="requirements")
for sub, name in ((access_app, "access"), (security_incidents_app, "incidents"), (updates_app, "updates")):
    security_app.add_typer(sub, name=name)  # as the API has them: /api/v1/security/{access,incidents,updates}
clusters_app.command("decommission", help="Drain, wipe and release a cluster's nodes (24 h deadline).")(
    decommission_cluster
)


app.command(help="Try each configured backend live, read-only, one line each.")(reports_errors(doctor))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@db_app.command("upgrade")
@reports_errors
def db_upgrade() -> None:
    """Apply every pending migration (safe to run repeatedly)."""
    upgrade(get_database())
    console.print(f"database at head: {get_database().engine.url.render_as_string(hide_password=True)}")


@token_app.command("create")
@reports_errors
def token_create(
    role: Role = typer.Option(..., help="admin, operator, viewer, customer, supplier, agent or relay."),
    name: str = typer.Option("", help="A label for the token (default: the role)."),
    customer: str | None = typer.Option(None, help="Customer name, for --role customer."),
    supplier: str | None = typer.Option(None, help="Supplier name, for --role supplier."),
    node: str | None = typer.Option(None, help="Node hostname, for --role agent."),
) -> None:
    """Issue a token and print it once; only its hash is stored."""
    from fleetops.auth.service import create_token
    from fleetops.inventory.service import find

    with get_database().transaction() as session:
        binding = {
            f"{kind}_id": find(session, SYSTEM, KINDS[kind], value)["id"]
            for kind, value in (("customer", customer), ("supplier", supplier), ("node", node))
            if value
        }
        issued = create_token(session, "cli", name=name or role.value, role=role, **binding)
    typer.echo(issued.token)


@token_app.command("revoke")
@reports_errors
def token_revoke(prefix: str = typer.Argument(..., help="The token's prefix: the part after `fo_`.")) -> None:
    """Revoke a token at once here, and within the token cache's 60 s in other processes."""
    from fleetops.auth.service import revoke_token

    with get_database().transaction() as session:
        revoke_token(session, "cli", prefix)
    console.print(f"revoked {prefix}")


def _serve(with_worker: bool, processes: int = 1) -> None:
    """Serve in this process, or in `processes` API processes under this one (uvicorn's supervisor, which
    restarts one that dies). The worker, if any, runs here, once, whatever the number of processes."""
    from fleetops.api.app import create_app
    from fleetops.health.coverage import Listening
    from fleetops.workers.runner import run_forever

    if processes > 1 and get_database().is_sqlite:
        raise InvalidInput(
            f"{processes} API processes need PostgreSQL: SQLite has a single writer (serve one process, or "
            "set FLEETOPS_DATABASE_URL to a postgresql+psycopg:// URL)"
        )
    ready_to_serve(settings(), get_database())
    install(settings(), get_database())
    stop = threading.Event()
    if with_worker:
        threading.Thread(target=run_forever, args=(stop,), daemon=True, name="worker").start()
    try:
        app_ = create_app() if processes == 1 else "fleetops.api.app:create_process_app"
        settled()
        with Listening(get_database()):  # while it serves: a worker elsewhere then knows agents are heard
            _uvicorn(app_, settings().host, settings().port, processes)
    finally:
        stop.set()


@app.command()
@reports_errors
def relay(
    server: str = typer.Option(..., help="The control plane's URL, e.g. https://fleetops.example.com"),
    token: str = typer.Option(..., envvar="FLEETOPS_RELAY_TOKEN", help="A token of role relay."),
    host: str = typer.Option("0.0.0.0", help="Where the agents reach this relay."),
    port: int = typer.Option(8400),
    window_ms: float = typer.Option(
        1000, min=0, max=30_000, help="How long agent POSTs wait to share a request."
    ),
) -> None:
    """Forward the report POSTs of nearby agents to the control plane in groups (agents' --server here)."""
    from fleetops.health.relay import create_relay

    _uvicorn(create_relay(server, token, window_ms / 1000), host, port)


def _uvicorn(app_: Any, host: str, port: int, processes: int = 1) -> None:
    """Serve with fleetops' own logging, keeping idle agent connections longer than agents do (wire).
    Several processes take the app as a factory's import path: each process builds its own."""
    import uvicorn

    from fleetops.wire import SERVER_KEEP_ALIVE_S

    uvicorn.run(
        app_,
        host=host,
        port=port,
        log_config=None,
        timeout_keep_alive=SERVER_KEEP_ALIVE_S,
        access_log=settings().access_log,
        factory=processes > 1,
        workers=processes,
    )


@app.command()
@reports_errors
def serve(
    no_worker: bool = typer.Option(False, "--no-worker", help="API only; run `fleetops worker` apart."),
    processes: int | None = typer.Option(
        None,
        min=1,
        max=64,
        help="API processes (default FLEETOPS_API_PROCESSES, 1); more than one needs PostgreSQL.",
    ),
) -> None:
    """Serve the API, console and /metrics (and one worker in-process unless --no-worker)."""
    configure(settings().log_level, settings().log_json)
    _serve(not no_worker, processes or settings().api_processes)


@app.command()
@reports_errors
def worker() -> None:
    """Run background tasks until interrupted."""
    from fleetops.workers.runner import run_forever

    configure(settings().log_level, settings().log_json)
    ready_to_serve(settings(), get_database())
    install(settings(), get_database())
    settled()
    stop = threading.Event()
    try:
        run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


@app.command()
@reports_errors
def demo(
    seed: int = typer.Option(7, help="Simulator seed."),
    nodes: int = typer.Option(2000, help="Fleet size in nodes (the first 576 are the Stream sub-pod)."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Seed and print the token, then exit."),
) -> None:
    """Migrate, seed a simulated fleet (once), print an admin token and serve the console."""
    from fleetops.auth.service import create_token
    from fleetops.sim.load import seed_fleet

    os.environ["FLEETOPS_SIMULATE"] = "true"  # the demo's deployments and repairs run on simulated backends
    for name, value in DEMO_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    settings.cache_clear()
    database = get_database()
    upgrade(database)
    seeded = seed_fleet(database, seed, nodes)
    with database.transaction() as session:
        token = create_token(session, "demo", name="demo-admin", role=Role.ADMIN).token
    url = f"http://{settings().host}:{settings().port}"
    console.print(f"fleet: {'seeded ' + str(seeded) + ' nodes' if seeded else 'already seeded'}")
    console.print(f"console and API: [bold]{url}[/bold]   (API docs: {url}/docs)")
    console.print(f"admin token (paste it at {url}/login):")
    typer.echo(token)
    if not no_serve:
        os.environ.setdefault("FLEETOPS_LOG_JSON", "false")
        _serve(True)


if __name__ == "__main__":
    app()
