"""`fleetops audit`: query and export the audit log."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime

import typer

from fleetops.audit.service import AuditQuery, as_dict, query
from fleetops.cli.output import emit_json, reports_errors, table
from fleetops.db.session import get_database

audit_app = typer.Typer(help="The audit log: who changed what, when.", no_args_is_help=True)


@audit_app.command("list")
@reports_errors
def list_events(
    actor: str | None = None,
    action: str | None = typer.Option(None, help="e.g. node.update, token.create"),
    target_type: str | None = typer.Option(None, help="e.g. node, cluster"),
    target: str | None = typer.Option(None, help="The record's key, e.g. a hostname"),
    since: datetime | None = None,
    limit: int = 100,
    fmt: str = typer.Option("table", "--format", help="table, json or csv"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List audit events, oldest first."""
    with get_database().transaction() as session:
        events = [
            as_dict(e)
            for e in query(session, AuditQuery(actor, action, target_type, target, since, limit=limit))
        ]
    if as_json or fmt == "json":
        emit_json({"items": events})
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(events[0]) if events else ["id"])
        writer.writeheader()
        writer.writerows({**e, "changes": json.dumps(e["changes"])} for e in events)
    else:
        table(events, ["id", "at", "actor", "action", "target_type", "target_key", "result"], title="audit")
