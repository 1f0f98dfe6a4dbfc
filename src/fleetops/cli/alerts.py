"""`fleetops alerts|incidents|routes`: explain, measure, silence, list incidents, test the routing tree."""

from __future__ import annotations

import getpass
from datetime import timedelta
from pathlib import Path

import typer

from fleetops import clock
from fleetops.alerts import service
from fleetops.alerts.policy import load_routes, load_rules, seconds
from fleetops.alerts.route import matches
from fleetops.alerts.schemas import IncidentRead, SilenceCreate, SilenceRead
from fleetops.cli.output import JsonOption, console, emit_json, fail, reports_errors, table
from fleetops.db.session import get_database

app = typer.Typer(help="Alerts: explain, measures, silences, the worker tick.", no_args_is_help=True)
silence_app = typer.Typer(help="Silences and maintenance windows.", no_args_is_help=True)
incidents_app = typer.Typer(help="Incidents: list, show, acknowledge.", no_args_is_help=True)
routes_app = typer.Typer(
    help="The routing tree: test where an alert would go, check the files.", no_args_is_help=True
)
app.add_typer(silence_app, name="silence")
ACTOR = f"cli@{getpass.getuser()}"
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
@reports_errors
def explain(alert_id: int, as_json: bool = JsonOption) -> None:
    """Why an alert paged, ticketed, forwarded or stayed quiet."""
    with get_database().transaction() as session:
        found = service.explain(session, alert_id)
    if as_json:
        return emit_json(found)
    console.print(f"[bold]{found['verdict']}[/bold]")
    for step in found.get("history", []):
        console.print(f"  {step['at']}  {step['field']}: {step['from']} → {step['to']}  ({step['why']})")
    for message in found.get("messages", []):
        console.print(
            f"  message to {message['receiver']}: {message['action']} {message['status']} "
            f"after {message['attempts']} attempts"
        )


@app.command("measures")
@reports_errors
def measures(as_json: bool = JsonOption) -> None:
    """Alerts in, incidents, pages, tickets, forwards, suppressed by reason, time to notify."""
    with get_database().transaction() as session:
        found = service.measures(session)
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
@reports_errors
def silence_add(
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
    with get_database().transaction() as session:
        row = SilenceRead.model_validate(service.create_silence(session, ACTOR, data))
    console.print(f"silence #{row.id} until {row.ends_at.isoformat()}")


@silence_app.command("list")
@reports_errors
def silence_list(as_json: bool = JsonOption) -> None:
    with get_database().transaction() as session:
        rows = [SilenceRead.model_validate(s).model_dump(mode="json") for s in service.list_silences(session)]
    if as_json:
        return emit_json(rows)
    table(rows, ("id", "kind", "matchers", "starts_at", "ends_at", "created_by", "comment"), title="Silences")


@silence_app.command("expire")
@reports_errors
def silence_expire(silence_id: int) -> None:
    with get_database().transaction() as session:
        service.expire_silence(session, silence_id)
    console.print(f"silence #{silence_id} expired")


@incidents_app.command("list")
@reports_errors
def incidents_list(
    status: str | None = typer.Option(None, help="open, resolved or merged"),
    limit: int = 100,
    as_json: bool = JsonOption,
) -> None:
    with get_database().transaction() as session:
        rows = [
            IncidentRead.model_validate(i).model_dump(mode="json")
            for i in service.list_incidents(session, status, limit)
        ]
    if as_json:
        return emit_json(rows)
    table(rows, INCIDENT_COLUMNS, title="Incidents")


@incidents_app.command("show")
@reports_errors
def incidents_show(incident_id: int, as_json: bool = JsonOption) -> None:
    with get_database().transaction() as session:
        row = IncidentRead.model_validate(service.get_incident(session, incident_id)).model_dump(mode="json")
    if as_json:
        return emit_json(row)
    table(
        [{"field": k, "value": v} for k, v in row.items()],
        ("field", "value"),
        title=f"Incident #{incident_id}",
    )


@incidents_app.command("ack")
@reports_errors
def incidents_ack(incident_id: int) -> None:
    with get_database().transaction() as session:
        service.acknowledge(session, incident_id, ACTOR)
    console.print(f"incident #{incident_id} acknowledged")


@routes_app.command("test")
@reports_errors
def routes_test(
    labels: list[str] = typer.Argument(..., help="LABEL=VALUE pairs, e.g. priority=P0 owner=hardware"),
    routes_file: Path | None = typer.Option(None, "--routes", help="Routing tree (default: built-in)"),
    as_json: bool = JsonOption,
) -> None:
    """Where an incident with these labels would go, through which route, with which timers."""
    pairs = dict(label.split("=", 1) for label in labels if "=" in label)
    if len(pairs) != len(labels):
        raise fail("labels must be LABEL=VALUE")
    found = [m.__dict__ | {"group_by": list(m.group_by)} for m in matches(load_routes(routes_file), pairs)]
    if as_json:
        return emit_json(found)
    for m in found:
        console.print(
            f"→ [bold]{m['receiver']}[/bold] via {m['path']} (group_by {m['group_by']}, "
            f"wait {m['group_wait']:g}s, interval {m['group_interval']:g}s, "
            f"repeat {m['repeat_interval']:g}s)"
        )
    if pairs.get("priority") != "P0":
        console.print("no page: only P0 (system down or cluster-wide degradation) reaches the pager")


@routes_app.command("check")
@reports_errors
def routes_check(
    routes_file: Path | None = typer.Option(None, "--routes"),
    rules_file: Path | None = typer.Option(None, "--rules"),
) -> None:
    """Validate the routing tree and the correlation rules offline."""
    tree, rules = load_routes(routes_file), load_rules(rules_file)
    console.print(
        f"ok: {len(tree.receivers)} receivers; P0 at >= {rules.classification.p0_cluster_share:.0%} "
        "of a cluster"
    )
