"""`fleetops config check` (offline) and `fleetops doctor` (live): what an operator runs before and after a
change of settings, and what `serve` and `worker` run before they start."""

from __future__ import annotations

import typer

from fleetops.api.probes import readiness
from fleetops.backends.check import check, errors
from fleetops.cli.output import console, emit_json, fail, reports_errors, stderr
from fleetops.config import Settings, settings
from fleetops.db.session import Database, get_database

config_app = typer.Typer(help="Configuration: check it offline (secrets never shown).", no_args_is_help=True)


@config_app.command("check")
@reports_errors
def config_check(
    as_json: bool = typer.Option(False, "--json", help="Print the settings in force (secrets as *****)."),
    inventory: bool = typer.Option(True, help="Also check the inventory's references (reads the database)."),
) -> None:
    """Validate the settings, the routing tree and rules in force, the remediation policy, the XID catalog
    and their references to each other and to the inventory, offline; exit 1 on any error."""
    current = settings()
    found = check(current, get_database() if inventory else None)
    for finding in found:
        stderr.print(str(finding), markup=False, highlight=False, soft_wrap=True)
    if as_json:
        emit_json(current.model_dump(mode="json"))
    if errors(found):
        raise typer.Exit(1)
    if not as_json:
        console.print(f"ok: settings, routes, rules, remediation policy, XID catalog; {len(found)} warnings")


def doctor() -> None:
    """Try each configured backend live, read-only (BMCs, schedulers, provisioner, Jira), one line each."""
    from fleetops.backends.doctor import diagnose

    lines = diagnose(settings(), get_database())
    for line in lines:
        console.print(str(line), markup=False, highlight=False, soft_wrap=True)
    if not all(line.ok for line in lines):
        raise typer.Exit(1)


def ready_to_serve(current: Settings, database: Database) -> None:
    """What `serve` and `worker` check first: the schema is current and the settings have no error, so a
    fleet never runs on a half-migrated database or half a configuration. One line says what is wrong."""
    not_ready = readiness(database)
    if not_ready is not None:
        raise fail(not_ready)
    found = errors(check(current, database))
    if found:
        raise fail(f"{found[0].where}: {found[0].message} (`fleetops config check` lists every problem)")
