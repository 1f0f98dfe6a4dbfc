"""`fleetops inventory|suppliers|sites|customers|clusters|nodes`: import, export, report and look up the
fleet, over the API."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from fleetops.cli.output import JsonOption, console, emit_json, fail, stderr, table
from fleetops.cli.remote import AllOption, LimitOption, limit_of, remote, show_list, show_record
from fleetops.client import Client
from fleetops.inventory import formats
from fleetops.inventory.kinds import KINDS
from fleetops.inventory.reading import check_utf8

inventory_app = typer.Typer(help="Import, export and check the fleet inventory.", no_args_is_help=True)
suppliers_app = typer.Typer(help="Suppliers: list and show.", no_args_is_help=True)
sites_app = typer.Typer(help="Sites: list and show.", no_args_is_help=True)
customers_app = typer.Typer(help="Customers: list and show.", no_args_is_help=True)
clusters_app = typer.Typer(help="Clusters: list and show.", no_args_is_help=True)
nodes_app = typer.Typer(help="Nodes: list and show.", no_args_is_help=True)


@inventory_app.command("import")
@remote
def import_file(
    fleet: Client,
    path: Path = typer.Argument(..., help="YAML, JSON or CSV file; '-' reads standard input."),
    fmt: str | None = typer.Option(None, "--format", help="yaml, json or csv (default: from the file name)."),
    as_json: bool = JsonOption,
) -> None:
    """Create or update every record in one transaction on the server: any error writes nothing."""
    if str(path) == "-":
        data, kind = sys.stdin.buffer.read(), formats.format_of(Path("stdin"), fmt or "yaml")
    else:
        if not path.is_file():
            raise fail(f"{path}: no such file")
        data, kind = path.read_bytes(), formats.format_of(path, fmt)
    check_utf8(data, "stdin" if str(path) == "-" else str(path))  # named here, before the upload
    text = data.decode("utf-8-sig")
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal) as bar:
        task = bar.add_task(f"uploading {path}", total=None)

        def sent(done: int, total: int) -> None:
            waiting = done >= total
            bar.update(task, completed=done, total=total, description="applying" if waiting else "uploading")

        summary = fleet.inventory.import_text(text, kind, progress=sent)
    if as_json:
        emit_json(summary)
        return
    rows = [{"kind": k, **{s: summary[s].get(k, 0) for s in summary}} for k in KINDS]
    table([r for r in rows if any(r[s] for s in summary)], ["kind", *summary], title=f"imported {path}")


@inventory_app.command("export")
@remote
def export_file(
    fleet: Client,
    path: Path | None = typer.Argument(None, help="Output file (default: standard output)."),
    fmt: str = typer.Option("yaml", "--format", help="yaml, json or csv."),
) -> None:
    """Write the whole inventory in the import format; importing it back changes nothing."""
    kind = formats.format_of(path or Path(f"out.{fmt}"), fmt if path is None else None)
    text = fleet.inventory.export(kind)
    if path is None:
        sys.stdout.write(text)
    else:
        path.write_text(text, encoding="utf-8")
        console.print(f"wrote {path}")


@inventory_app.command("report")
@remote
def report(fleet: Client, as_json: bool = JsonOption) -> None:
    """Clusters missing a customer, supplier or contract, and non-compliant orchestrators."""
    rows = fleet.inventory.untracked_clusters()
    if as_json:
        emit_json({"items": rows})
        return
    table(
        ({**r, "problems": "; ".join(r["problems"])} for r in rows),
        ["cluster", "state", "problems"],
        title=f"{len(rows)} clusters not fully trackable",
    )


FILTER_HELP = {
    "supplier": "Only those of this supplier (name).",
    "region": "Only those in this region (name).",
    "site": "Only those at this site (name).",
    "rack": "Only those in a rack of this name.",
    "pod": "Only those in this pod.",
    "cluster": "Only those in this cluster (name).",
    "customer": "Only those of this customer (name).",
    "state": "Only those in this lifecycle state.",
    "orchestrator": "Only those run by this orchestrator.",
}


def _lister(kind_name: str, columns: list[str]) -> tuple[Callable[..., None], Callable[..., None]]:
    """`list` and `show` for one kind; `list` offers exactly the filters the API takes for that kind."""
    kind = KINDS[kind_name]
    offered = [name for name in FILTER_HELP if name in kind.filters]

    def listing(fleet: Client, limit: int, every: bool, as_json: bool, **filters: str | None) -> None:
        pages = getattr(fleet, kind.plural).pages(limit=limit_of(limit, every), **filters)
        show_list(pages, columns, title=kind.plural, as_json=as_json)

    own = [inspect.Parameter("fleet", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Client)]
    own += [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(None, f"--{name}", help=FILTER_HELP[name]),
            annotation=str | None,
        )
        for name in offered
    ]
    own += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        for name, default, annotation in (
            ("limit", LimitOption, int),
            ("every", AllOption, bool),
            ("as_json", JsonOption, bool),
        )
    ]
    listing.__signature__ = inspect.Signature(own)  # type: ignore[attr-defined]
    listing.__annotations__ = {p.name: p.annotation for p in own} | {"return": None}

    @remote
    def show_command(
        fleet: Client,
        name: str = typer.Argument(..., help=f"The {kind_name}'s {kind.key[-1]} or id."),
        as_json: bool = JsonOption,
    ) -> None:
        show_record(getattr(fleet, kind.plural).get(name), f"{kind_name} {name}", as_json)

    return remote(listing), show_command


LISTED = (
    (suppliers_app, "supplier", ["name", "contact_email"]),
    (sites_app, "site", ["name", "supplier", "region"]),
    (customers_app, "customer", ["name", "contact_email"]),
    (clusters_app, "cluster", ["name", "orchestrator", "state", "supplier", "site", "customer", "contract"]),
    (nodes_app, "node", ["hostname", "state", "site", "rack", "cluster", "gpu_model", "gpu_count"]),
)
for _app, _kind, _columns in LISTED:
    _list, _show = _lister(_kind, _columns)
    _app.command("list", help=f"List {KINDS[_kind].plural}.")(_list)
    _app.command("show", help=f"Show one {_kind}.")(_show)
