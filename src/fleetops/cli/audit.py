"""`fleetops audit`: query and export the audit log, over the API."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime

import typer

from fleetops.cli.remote import AllOption, LimitOption, limit_of, remote, show_list
from fleetops.client import Client

audit_app = typer.Typer(help="The audit log: who changed what, when.", no_args_is_help=True)
COLUMNS = ["id", "at", "actor", "action", "target_type", "target_key", "result"]


@audit_app.command("list")
@remote
def list_events(
    fleet: Client,
    actor: str | None = None,
    action: str | None = typer.Option(None, help="e.g. node.update, token.create"),
    target_type: str | None = typer.Option(None, help="e.g. node, cluster"),
    target: str | None = typer.Option(None, help="The record's key, e.g. a hostname"),
    since: datetime | None = None,
    limit: int = LimitOption,
    every: bool = AllOption,
    fmt: str = typer.Option("table", "--format", help="table, json or csv"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List audit events, oldest first."""
    pages = fleet.audit.pages(
        limit=limit_of(limit, every),
        actor=actor,
        action=action,
        target_type=target_type,
        target_key=target,
        since=since,
    )
    if fmt != "csv":
        show_list(pages, COLUMNS, title="audit", as_json=as_json or fmt == "json")
        return
    events = [event for page in pages for event in page.items]
    writer = csv.DictWriter(sys.stdout, fieldnames=list(events[0]) if events else ["id"])
    writer.writeheader()
    writer.writerows({**e, "changes": json.dumps(e["changes"])} for e in events)
