"""`fleetops suppliers scorecard|export|requirements`: the supplier scorecards, their presales exports and
the Supplier Technical Requirements, through the API from any laptop (a sales token reads them too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from fleetops.cli.output import JsonOption, console, emit_json, table
from fleetops.cli.remote import remote
from fleetops.client import Client
from fleetops.errors import InvalidInput

PeriodOption = typer.Option(
    30, "--period", min=1, max=366, help="period in days; the trend compares with the one before"
)
FORMATS = ("csv", "html", "pdf")
requirements_app = typer.Typer(
    help="Supplier Technical Requirements: versions and acknowledgements.", no_args_is_help=True
)


def _figure(metric: dict[str, Any]) -> str:
    value = metric["value"]
    if value is None:
        return "-"
    return f"{value / 3600:,.1f} h" if metric["unit"] == "s" else f"{value:,.2f}{metric['unit']}"


@remote
def scorecard(
    fleet: Client,
    supplier: str | None = typer.Argument(
        None, help="one supplier's card; every card you may read without it"
    ),
    period: int = PeriodOption,
    as_json: bool = JsonOption,
) -> None:
    """Each metric's value, Red/Yellow/Green rating and trend against the period before, from the records."""
    params = {"days": period}
    if supplier:
        cards = [fleet.session.json("GET", f"/scorecards/suppliers/{supplier}", params=params)]
    else:
        cards = fleet.session.json("GET", "/scorecards", params=params)
    if as_json:
        return emit_json(cards[0] if supplier else cards)
    for card in cards:
        rows = [
            m | {"value": _figure(m), "previous": _figure(m | {"value": m["previous"]})}
            for m in card["metrics"]
        ]
        period_of = card["period"]
        title = f"{card['supplier']}: {card['rating']} ({period_of['start'][:10]} → {period_of['end'][:10]})"
        table(rows, ["label", "value", "rating", "previous", "trend", "basis"], title=title)
        if card["requirements"]["flagged"]:
            console.print(
                f"{card['supplier']} has not acknowledged requirements v{card['requirements']['version']}"
            )


@remote
def export(
    fleet: Client,
    supplier: str = typer.Argument(..., help="the supplier whose presales page to export"),
    fmt: str = typer.Option(..., "--format", help="csv, html or pdf"),
    output: Path = typer.Option(..., "-o", "--output", help="the file to write"),
    period: int = PeriodOption,
) -> None:
    """The one-page presales export (HTML, or PDF printed by the server's Chromium) or the card as CSV."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format {fmt}: not one of {', '.join(FORMATS)}")
    params: dict[str, Any] = {"days": period}
    if fmt == "csv":
        path, params["supplier"] = "/scorecards/export.csv", supplier
    else:
        path = f"/scorecards/suppliers/{supplier}/export.{fmt}"
    body = fleet.session.request("GET", path, params=params).content
    try:
        output.write_bytes(body)
    except OSError as exc:
        raise InvalidInput(f"{output}: cannot write ({exc.strerror})") from exc
    console.print(f"{supplier}: {fmt} scorecard written to {output} ({len(body):,} bytes)")


@requirements_app.command("list")
@remote
def list_requirements(fleet: Client, as_json: bool = JsonOption) -> None:
    """Every published version, newest first."""
    rows = fleet.session.json("GET", "/scorecards/requirements")
    if as_json:
        return emit_json(rows)
    table(rows, ["version", "title", "published_by", "published_at"], title="Supplier Technical Requirements")


@requirements_app.command("status")
@remote
def status(fleet: Client, as_json: bool = JsonOption) -> None:
    """Per supplier you may read: the latest version, who acknowledged it and when, or that it is flagged."""
    rows = [
        {"supplier": c["supplier"], **c["requirements"]} for c in fleet.session.json("GET", "/scorecards")
    ]
    if as_json:
        return emit_json(rows)
    table(
        rows,
        ["supplier", "version", "acknowledged_by", "acknowledged_at", "flagged"],
        title="acknowledgements",
    )


@requirements_app.command("publish")
@remote
def publish(
    fleet: Client,
    file: Path = typer.Argument(..., help="the requirements document (markdown or text)"),
    title: str = typer.Option(..., "--title", help="the document's title"),
) -> None:
    """Publish a new version (admins and operators); every supplier must acknowledge it again."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{file}: cannot read ({exc})") from exc
    done = fleet.session.json("POST", "/scorecards/requirements", json={"title": title, "body": text})
    console.print(f"requirements v{done['version']} published by {done['published_by']}")


@requirements_app.command("acknowledge")
@remote
def acknowledge(fleet: Client, version: int = typer.Argument(..., help="the version read")) -> None:
    """Acknowledge a version with a supplier's own token (who and when are kept)."""
    done = fleet.session.json("POST", f"/scorecards/requirements/{version}/acknowledge")
    console.print(
        f"requirements v{done['version']} acknowledged by {done['acknowledged_by']} at {done['at']}"
    )
