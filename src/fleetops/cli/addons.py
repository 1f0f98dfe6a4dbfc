"""`fleetops addons`: the catalog, a cluster's add-ons, changing one, its rendered files, coverage."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fleetops.cli.output import JsonOption, console, emit_json, table
from fleetops.cli.remote import remote
from fleetops.client import Client
from fleetops.errors import InvalidInput

app = typer.Typer(
    help="Cluster add-ons: remediation, advanced metrics, NVSentinel values.", no_args_is_help=True
)


@app.command("catalog")
@remote
def catalog(fleet: Client, as_json: bool = JsonOption) -> None:
    """Every add-on with its default, orchestrators and versions (--json: with each settings schema)."""
    rows = fleet.session.json("GET", "/addons")
    if as_json:
        return emit_json(rows)
    for row in rows:
        row["versions"] = ", ".join(v["version"] for v in row["versions"])
        row["orchestrators"] = ", ".join(row["orchestrators"])
    table(rows, ["name", "default", "latest", "versions", "orchestrators"], title="add-ons")


@app.command("show")
@remote
def show(fleet: Client, cluster: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """A cluster's add-ons: version, on or off, settings."""
    rows = fleet.session.json("GET", f"/addons/clusters/{cluster}")
    if as_json:
        return emit_json(rows)
    for row in rows:
        row["settings"] = json.dumps(row["settings"], sort_keys=True)
    table(rows, ["addon", "version", "enabled", "supported", "settings"], title=cluster)


@app.command("set")
@remote
def set_addon(
    fleet: Client,
    cluster: str = typer.Argument(...),
    addon: str = typer.Argument(...),
    on: bool | None = typer.Option(None, "--on/--off", help="turn the add-on on or off"),
    version: str | None = typer.Option(None, help="upgrade to this version (settings are moved or refused)"),
    settings: str | None = typer.Option(None, help="settings to change, as JSON: '{\"dry_run\": true}'"),
) -> None:
    """Change one add-on; a refusal names the JSON pointer. Prints the diff."""
    try:
        given = json.loads(settings) if settings else None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--settings: not JSON ({exc})") from exc
    body = {k: v for k, v in {"enabled": on, "version": version, "settings": given}.items() if v is not None}
    done = fleet.session.json("PUT", f"/addons/clusters/{cluster}/{addon}", json=body)
    for where, (before, after) in done["diff"].items():
        console.print(f"{where}: {json.dumps(before)} → {json.dumps(after)}", markup=False, highlight=False)
    if not done["diff"]:
        console.print("nothing changed")


@app.command("render")
@remote
def render(
    fleet: Client,
    cluster: str = typer.Argument(...),
    out: Path = typer.Option(Path("rendered"), help="directory the files are written under"),
) -> None:
    """Write the cluster's static configuration (manifests, Helm values, manifest.json) under --out."""
    files = fleet.session.json("GET", f"/addons/clusters/{cluster}/manifests")
    for path, text in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    console.print(f"{len(files)} files under {out}")


@app.command("coverage")
@remote
def coverage(fleet: Client, as_json: bool = JsonOption) -> None:
    """How many active clusters run each add-on (staff)."""
    rows = fleet.session.json("GET", "/addons/coverage")
    if as_json:
        return emit_json(rows)
    table(rows, ["addon", "enabled", "clusters", "percent"], title="coverage")
