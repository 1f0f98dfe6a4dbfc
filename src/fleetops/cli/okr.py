"""`fleetops okr`: lint OKR documents (offline), the goals' scorecard and the pager-history import."""

from __future__ import annotations

from pathlib import Path

import typer

from fleetops.cli.output import JsonOption, console, emit_json, reports_errors, table
from fleetops.cli.remote import remote
from fleetops.client import Client
from fleetops.errors import InvalidInput
from fleetops.okr.document import read
from fleetops.okr.lint import lint

app = typer.Typer(
    help="The goals: key results measured from the records, OKR document lint.", no_args_is_help=True
)


@app.command("lint")
@reports_errors
def lint_command(
    files: list[Path] = typer.Argument(..., help="OKR documents in markdown (# team, ## O1:, ### KR1:)"),
    as_json: bool = JsonOption,
) -> None:
    """Key results with no owner or "Owner: TBD", placeholder targets, objectives duplicated across
    teams, one milestone with two dates. Exit 1 when anything is found."""
    docs = []
    for path in files:
        try:
            docs.append(read(str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}: cannot read ({exc})") from exc
    found = lint(docs)
    if as_json:
        emit_json([f.__dict__ for f in found])
    else:
        for finding in found:
            console.print(str(finding), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1 if found else 0)


@app.command("show")
@remote
def show(
    fleet: Client, days: float = typer.Option(30, help="window in days"), as_json: bool = JsonOption
) -> None:
    """Each key result: target, current value, status and the records behind it."""
    rows = fleet.session.json("GET", "/okr", params={"days": days})
    if as_json:
        return emit_json(rows)
    table(rows, ["id", "target", "unit", "value", "status", "records"], title="key results")


@app.command("import-pages")
@remote
def import_pages(
    fleet: Client, file: Path = typer.Argument(..., help="pager export, CSV with created_on")
) -> None:
    """Import a pager's incident history as the page-reduction baseline (days in the file are replaced)."""
    body = file.read_bytes()
    done = fleet.session.json("POST", "/okr/pager-history", content=body, params={"source": file.name})
    console.print(f"{done['pages']} pages imported from {file.name}")
