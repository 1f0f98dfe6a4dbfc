"""`fleetops alerts|incidents|routes`: explain, measure, silence, list incidents (over the API); test the
routing tree (offline, on the files); `alerts tick` runs the worker's step on the database, like `worker`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer

from fleetops import clock
from fleetops.alerts import service
from fleetops.alerts.policy import load_routes, load_rules, routes_path, rules_path, seconds
from fleetops.alerts.preview import preview
from fleetops.alerts.schemas import SilenceCreate
from fleetops.cli.output import JsonOption, console, emit_json, fail, reports_errors, table
from fleetops.cli.remote import remote, show_list, show_record
from fleetops.client import Client, Page
from fleetops.db.session import get_database

app = typer.Typer(help="Alerts: explain, measures, silences, the worker tick.", no_args_is_help=True)
silence_app = typer.Typer(help="Silences and maintenance windows.", no_args_is_help=True)
incidents_app = typer.Typer(help="Incidents: list, show, acknowledge.", no_args_is_help=True)
routes_app = typer.Typer(
    help="The routing tree: test where an alert would go, check the files.", no_args_is_help=True
)
app.add_typer(silence_app, name="silence")
INCIDENT_COLUMNS = (
    "id",
    "priority",
    "scope",
    "subject",
    "owner",
    "status",
    "disposition",
    "alert_count",
    "reason",
)


@app.command("explain")
@remote
def explain(fleet: Client, alert_id: int, as_json: bool = JsonOption) -> None:
    """Why an alert paged, ticketed, forwarded or stayed quiet."""
    found = fleet.alerts.explain(alert_id)
    if as_json:
        return emit_json(found)
    console.print(f"[bold]{found['verdict']}[/bold]")
    for step in found.get("history", []):
        console.print(f"  {step['at']}  {step['field']}: {step['from']} → {step['to']}  ({step['why']})")
    for message in found.get("messages", []):
        error = f": {message['error']}" if message["error"] else ""
        console.print(
            f"  message to {message['receiver']}: {message['action']} {message['status']} "
            f"after {message['attempts']} attempts{error}"
        )


@app.command("measures")
@remote
def measures(fleet: Client, as_json: bool = JsonOption) -> None:
    """Alerts in, incidents, pages, tickets, forwards, suppressed by reason, time to notify."""
    found = fleet.alerts.measures()
    if as_json:
        return emit_json(found)
    table(
        [{"measure": k, "value": v} for k, v in found.items()], ("measure", "value"), title="Alert measures"
    )


@app.command("tick")
@reports_errors
def tick() -> None:
    """Run the worker's periodic step once: flush due groups, deliver due messages."""
    console.print(f"delivered {service.tick(get_database())} messages")


@silence_app.command("add")
@remote
def silence_add(
    fleet: Client,
    matchers: list[str],
    duration: str = typer.Option("2h", "--for", help="e.g. 30m, 2h, 1d"),
    comment: str = typer.Option("", help="Why: shown as the suppression reason."),
    maintenance: bool = typer.Option(False, help="Record it as a planned maintenance window."),
) -> None:
    """Mute incidents whose labels match every MATCHER (name="value", name=~"regex"...)."""
    try:
        ends = clock.now() + timedelta(seconds=seconds(duration))
        data = SilenceCreate(
            matchers=matchers, ends_at=ends, comment=comment, kind="maintenance" if maintenance else "silence"
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    row = fleet.alerts.silence(data)
    console.print(f"silence #{row.id} until {row.ends_at.isoformat()}")


@silence_app.command("list")
@remote
def silence_list(fleet: Client, as_json: bool = JsonOption) -> None:
    columns = ("id", "kind", "matchers", "starts_at", "ends_at", "created_by", "comment")
    show_list([Page(fleet.alerts.silences())], columns, title="Silences", as_json=as_json, bare_json=True)


@silence_app.command("expire")
@remote
def silence_expire(fleet: Client, silence_id: int) -> None:
    fleet.alerts.expire_silence(silence_id)
    console.print(f"silence #{silence_id} expired")


@incidents_app.command("list")
@remote
def incidents_list(
    fleet: Client,
    status: str | None = typer.Option(None, help="open, resolved or merged"),
    limit: int = typer.Option(100, min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    page = fleet.incidents.list(status, limit)
    show_list(
        [page], INCIDENT_COLUMNS, title="Incidents", as_json=as_json, bare_json=True, hint="raise --limit"
    )


@incidents_app.command("show")
@remote
def incidents_show(fleet: Client, incident_id: int, as_json: bool = JsonOption) -> None:
    show_record(fleet.incidents.get(incident_id), f"Incident #{incident_id}", as_json)


@incidents_app.command("ack")
@remote
def incidents_ack(fleet: Client, incident_id: int) -> None:
    fleet.incidents.acknowledge(incident_id)
    console.print(f"incident #{incident_id} acknowledged")


@routes_app.command("test")
@reports_errors
def routes_test(
    labels: list[str] = typer.Argument(..., help="LABEL=VALUE pairs, e.g. cluster=alpha check=xid xid=79"),
    routes_file: Path | None = typer.Option(
        None, "--routes", help="Routing tree (default: the one in force)"
    ),
    rules_file: Path | None = typer.Option(None, "--rules", help="Rules (default: the ones in force)"),
    as_json: bool = JsonOption,
) -> None:
    """Where an alert with these labels would go, through which route, with which timers, and why."""
    pairs = dict(label.split("=", 1) for label in labels if "=" in label)
    if len(pairs) != len(labels):
        raise fail("labels must be LABEL=VALUE")
    found = preview(load_routes(routes_file), load_rules(rules_file), pairs)
    if as_json:
        return emit_json(found.as_json())
    for line in found.derived:
        console.print(f"  {line}")
    for m in found.routes:
        console.print(
            f"→ [bold]{m.receiver}[/bold] via {m.path} (group_by {list(m.group_by)}, "
            f"wait {m.group_wait:g}s, interval {m.group_interval:g}s, repeat {m.repeat_interval:g}s): "
            f"{found.destinations[m.receiver]}"
        )
    console.print(found.page)


@routes_app.command("check")
@reports_errors
def routes_check(
    routes_file: Path | None = typer.Option(
        None, "--routes", help="Routing tree (default: the one in force)"
    ),
    rules_file: Path | None = typer.Option(None, "--rules", help="Rules (default: the ones in force)"),
) -> None:
    """Validate the routing tree and the correlation rules offline (the configured ones by default)."""
    tree, rules = load_routes(routes_file), load_rules(rules_file)
    console.print(
        f"ok: {routes_path(routes_file)}: {len(tree.receivers)} receivers; {rules_path(rules_file)}: "
        f"P0 at >= {rules.classification.p0_cluster_share:.0%} of a cluster"
    )
    for name in tree.undeliverable():
        console.print(
            f"warning: receiver {name} has no url, webhook or routing key configured: every message to it "
            "will fail"
        )
