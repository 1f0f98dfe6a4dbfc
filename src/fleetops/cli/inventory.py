"""`fleetops inventory|clusters|nodes`: import, export, report and look up the fleet."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer

from fleetops.auth.choices import Role
from fleetops.auth.principal import SYSTEM, Principal
from fleetops.cli.output import JsonOption, console, emit_json, fail, reports_errors, table
from fleetops.db.session import get_database
from fleetops.inventory import formats, service
from fleetops.inventory.kinds import KINDS

inventory_app = typer.Typer(help="Import, export and check the fleet inventory.", no_args_is_help=True)
clusters_app = typer.Typer(help="Clusters: list and show.", no_args_is_help=True)
nodes_app = typer.Typer(help="Nodes: list and show.", no_args_is_help=True)
CLI = Principal(Role.ADMIN, f"cli@{getpass.getuser()}")


@inventory_app.command("import")
@reports_errors
def import_file(
    path: Path = typer.Argument(..., help="YAML, JSON or CSV file; '-' reads standard input."),
    fmt: str | None = typer.Option(None, "--format", help="yaml, json or csv (default: from the file name)."),
    as_json: bool = JsonOption,
) -> None:
    """Create or update every record in one transaction: any error writes nothing."""
    if str(path) == "-":
        text, kind = sys.stdin.read(), formats.format_of(Path("stdin"), fmt or "yaml")
    else:
        if not path.is_file():
            raise fail(f"{path}: no such file")
        text, kind = path.read_text(encoding="utf-8"), formats.format_of(path, fmt)
    doc = formats.parse(text, kind, str(path))
    with console.status(f"importing {len(doc.nodes)} nodes…"), get_database().transaction() as session:
        result = service.apply(session, CLI, doc)
    summary = result.summary()
    if as_json:
        emit_json(summary)
        return
    rows = [{"kind": k, **{s: summary[s].get(k, 0) for s in summary}} for k in (*KINDS,)]
    table([r for r in rows if any(r[s] for s in summary)], ["kind", *summary], title=f"imported {path}")


@inventory_app.command("export")
@reports_errors
def export_file(
    path: Path | None = typer.Argument(None, help="Output file (default: standard output)."),
    fmt: str = typer.Option("yaml", "--format", help="yaml, json or csv."),
) -> None:
    """Write the whole inventory in the import format; importing it back changes nothing."""
    kind = formats.format_of(path or Path(f"out.{fmt}"), fmt if path is None else None)
    with get_database().transaction() as session:
        text = formats.dump(formats.export(session), kind)
    if path is None:
        sys.stdout.write(text)
    else:
        path.write_text(text, encoding="utf-8")
        console.print(f"wrote {path}")


@inventory_app.command("report")
@reports_errors
def report(as_json: bool = JsonOption) -> None:
    """Clusters missing a customer, supplier or contract, and non-compliant orchestrators."""
    with get_database().transaction() as session:
        rows = service.untracked_clusters(session)
    if as_json:
        emit_json({"items": rows})
        return
    table(
        ({**r, "problems": "; ".join(r["problems"])} for r in rows),
        ["cluster", "state", "problems"],
        title=f"{len(rows)} clusters not fully trackable",
    )


def _lister(kind_name: str, columns: list[str]):  # type: ignore[no-untyped-def]
    kind = KINDS[kind_name]

    @reports_errors
    def list_command(
        supplier: str | None = typer.Option(None, help="Filter by supplier name."),
        site: str | None = typer.Option(None, help="Filter by site name."),
        cluster: str | None = typer.Option(None, help="Filter by cluster name (nodes)."),
        state: str | None = typer.Option(None, help="Filter by lifecycle state."),
        limit: int = typer.Option(100, help="At most this many rows."),
        as_json: bool = JsonOption,
    ) -> None:
        filters = {"supplier": supplier, "site": site, "state": state}
        if kind_name == "node":
            filters["cluster"] = cluster
        elif cluster:
            raise fail("--cluster filters nodes, not clusters")
        with get_database().transaction() as session:
            page = service.list_records(session, SYSTEM, kind, filters, limit=limit)
        emit_json({"items": page.items}) if as_json else table(page.items, columns, title=kind.plural)

    @reports_errors
    def show_command(
        name: str = typer.Argument(..., help=f"The {kind_name}'s name or id."), as_json: bool = JsonOption
    ) -> None:
        with get_database().transaction() as session:
            record = service.find(session, SYSTEM, kind, name)
        if as_json:
            emit_json(record)
            return
        table(
            ({"field": k, "value": v} for k, v in record.items()),
            ["field", "value"],
            title=f"{kind_name} {name}",
        )

    return list_command, show_command


for _app, _kind, _columns in (
    (clusters_app, "cluster", ["name", "orchestrator", "state", "supplier", "site", "customer", "contract"]),
    (nodes_app, "node", ["hostname", "state", "site", "rack", "cluster", "gpu_model", "gpu_count"]),
):
    _list, _show = _lister(_kind, _columns)
    _app.command("list", help=f"List {KINDS[_kind].plural}.")(_list)
    _app.command("show", help=f"Show one {_kind}.")(_show)
