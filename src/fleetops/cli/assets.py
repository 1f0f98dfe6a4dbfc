"""`fleetops assets`: assets and their history, lifecycle moves, purchase orders, spares, feed imports,
the cabling plan."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer

from fleetops.cli.output import JsonOption, console, emit_json, stderr, table
from fleetops.cli.remote import remote
from fleetops.client import Client
from fleetops.errors import InvalidInput

app = typer.Typer(
    help="Assets: purchase order to retirement, spares, feeds, SLA timers, NetBox.", no_args_is_help=True
)
ASSET_COLUMNS = ["serial", "kind", "model", "state", "po", "asn", "site", "hostname"]


def _show(rows: list[dict[str, Any]], columns: list[str], title: str, as_json: bool) -> None:
    if as_json:
        emit_json(rows)
    else:
        table(rows, columns, title=title)


@app.command("list")
@remote
def list_assets(
    fleet: Client,
    state: str | None = typer.Option(None, help="Only assets in this lifecycle state"),
    po: str | None = typer.Option(None, help="Only assets of this purchase order"),
    as_json: bool = JsonOption,
) -> None:
    """Assets, oldest first."""
    params = {"state": state, "po": po, "limit": 1000}
    _show(fleet.session.json("GET", "/assets", params=params), ASSET_COLUMNS, "assets", as_json)


@app.command("show")
@remote
def show(fleet: Client, serial: str, as_json: bool = JsonOption) -> None:
    """One asset and every lifecycle move it made."""
    data = fleet.session.json("GET", f"/assets/{serial}")
    if as_json:
        return emit_json(data)
    console.print(
        f"[bold]{data['serial']}[/bold] {data['kind']} {data['model']}: {data['state']}", highlight=False
    )
    table(data["history"], ["at", "from_state", "to_state", "actor", "reason"], title="history")


@app.command("move")
@remote
def move(
    fleet: Client,
    serial: str,
    state: str = typer.Argument(..., help="received, racked, deployed, repair, rma, retired..."),
    reason: str = typer.Option(..., help="Why (kept in the history and the audit log)"),
    site: str | None = typer.Option(None, help="The site it is at now"),
    as_json: bool = JsonOption,
) -> None:
    """Move an asset along its lifecycle (the transition table decides what is allowed)."""
    body = {"state": state, "reason": reason} | ({"site": site} if site else {})
    data = fleet.session.json("POST", f"/assets/{serial}/move", json=body)
    if as_json:
        return emit_json(data)
    console.print(f"{data['serial']}: {data['state']}", highlight=False)


def _upload(path: Path, formats: tuple[str, ...]) -> dict[str, str]:
    """The file as the import endpoints take it, its format by suffix; an unreadable file is one line."""
    fmt = {"yml": "yaml"}.get(suffix := path.suffix.lstrip(".").lower(), suffix)
    if fmt not in formats:
        named = ", ".join(f".{f}" for f in formats[:-1]) + f" or .{formats[-1]}"
        raise InvalidInput(f"{path}: unknown format {fmt!r}: use a {named} file")
    try:
        return {"source": path.name, "format": fmt, "content": path.read_text(encoding="utf-8")}
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read ({exc})") from exc


@app.command("import")
@remote
def import_feed(
    fleet: Client,
    feed: str = typer.Argument(..., help="asn or delivery"),
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A CSV or JSON file"),
    vendor: str | None = typer.Option(None, help="Whose field mapping ([assets.vendors.<name>])"),
    as_json: bool = JsonOption,
) -> None:
    """Import a vendor's ASN or delivery file: all of it or none, a re-import changes nothing."""
    body = _upload(path, ("csv", "json")) | {"vendor": vendor}
    data = fleet.session.json("POST", f"/assets/feeds/{feed}", json=body)
    if as_json:
        return emit_json(data)
    console.print(", ".join(f"{k} {v}" for k, v in data.items()), highlight=False)


@app.command("cabling")
@remote
def import_cabling(
    fleet: Client,
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A CSV, JSON or YAML file"),
    as_json: bool = JsonOption,
) -> None:
    """Import the cabling plan (a_node or a_switch, a_port, b_node or b_switch, b_port, type, label):
    all of it or none, a re-import changes nothing; `fleetops assets sync` pushes it to NetBox."""
    data = fleet.session.json("POST", "/assets/cabling", json=_upload(path, ("csv", "json", "yaml")))
    if as_json:
        return emit_json(data)
    console.print(", ".join(f"{k} {v}" for k, v in data.items()), highlight=False)


@app.command("spares")
@remote
def list_spares(fleet: Client, site: str | None = None, as_json: bool = JsonOption) -> None:
    """Spares per site, soonest projected stockout first."""
    rows = fleet.session.json("GET", "/assets/spares", params={"site": site} if site else {})
    columns = [
        "site",
        "part",
        "kind",
        "stock",
        "reorder_point",
        "usage_per_day",
        "projected_stockout",
        "reorder",
    ]
    _show(rows, columns, "spares", as_json)


@app.command("procurement")
@remote
def import_procurement(fleet: Client, as_json: bool = JsonOption) -> None:
    """Import vendors, purchase orders and invoices from Zip ([assets.zip] on the server)."""
    data = fleet.session.json("POST", "/assets/procurement/import")
    if as_json:
        return emit_json(data)
    console.print(", ".join(f"{k} {v}" for k, v in data.items()), highlight=False)


@app.command("matching")
@remote
def mismatches(fleet: Client, as_json: bool = JsonOption) -> None:
    """Purchase order ↔ ASN ↔ invoice mismatches: quantity, price, serial."""
    _show(fleet.session.json("GET", "/assets/matching"), ["po", "kind", "detail"], "mismatches", as_json)


def _waiting(fleet: Client, doing: str, method: str, path: str) -> Any:
    """A call that may take minutes (NetBox answers slowly): a spinner on a terminal meanwhile."""
    with stderr.status(doing, spinner="dots") if stderr.is_terminal else nullcontext():
        return fleet.session.json(method, path)


@app.command("sync")
@remote
def netbox_sync(fleet: Client, as_json: bool = JsonOption) -> None:
    """Pull NetBox's edits, then push fleetops' model ([assets.netbox] on the server): what was done."""
    data = _waiting(fleet, "syncing with NetBox…", "POST", "/assets/netbox/sync")
    if as_json:
        return emit_json(data)
    rows = [{"what": what, "objects": count} for what, count in sorted(data.items())]
    table(rows or [{"what": "nothing to change", "objects": 0}], ["what", "objects"], title="NetBox sync")


@app.command("drift")
@remote
def netbox_drift(fleet: Client, as_json: bool = JsonOption) -> None:
    """fleetops vs NetBox: every drift (who moved: NetBox, fleetops or both) and completeness per pod."""
    data = _waiting(fleet, "reading NetBox…", "GET", "/assets/netbox/drift")
    if as_json:
        return emit_json(data)
    table(data["drift"], ["kind", "object", "key", "detail"], title=f"drift: {len(data['drift'])}")
    pods = [p | {"share": f"{p['share']:.1%}"} for p in data["completeness"]]
    table(pods, ["pod", "nodes", "complete", "share", "cabling"], title="model completeness per pod")
