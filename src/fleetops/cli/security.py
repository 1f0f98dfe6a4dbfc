"""`fleetops security`: import scanner files, findings on their SLA clock, the dashboard, risk acceptance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from fleetops.cli.output import JsonOption, console, emit_json, fail, table
from fleetops.cli.remote import remote
from fleetops.client import Client

app = typer.Typer(help="Security findings on an SLA clock, scanner imports, hardening.", no_args_is_help=True)
FINDING_COLUMNS = ["id", "asset", "scanner", "check_id", "package", "severity", "status", "due_at", "overdue"]


def _pct(group: dict[str, Any] | None) -> str:
    if not group or group["share"] is None:
        return "—"
    return f"{group['share'] * 100:.1f}% ({group['within']}/{group['total']})"


@app.command("import")
@remote
def import_scan(
    fleet: Client,
    paths: list[Path] = typer.Argument(..., exists=True, help="Scanner output files, or directories of them"),
    scanner: str = typer.Option(..., "--scanner", help="trivy, kube-bench, openscap (XCCDF or ARF) or lynis"),
    host: str | None = typer.Option(
        None, help="The node scanned (one file; default: the host the file names)"
    ),
    cluster: str | None = typer.Option(None, help="The cluster of an image or kube-bench run"),
    as_json: bool = JsonOption,
) -> None:
    """Import files; a refusal names the file and the place in it, and stores nothing of that file.

    Several files (or a directory) go BATCH_FILES at a time, each batch in one transaction; a file that
    names no host (a Trivy rootfs report) is taken as `<hostname>.json`."""
    files = [
        p for path in paths for p in (sorted(path.iterdir()) if path.is_dir() else [path]) if p.is_file()
    ]
    if len(files) == 1 and not paths[0].is_dir():
        return _import_one(fleet, files[0], scanner, host, cluster, as_json)
    if host:
        raise fail("--host: names the node of one file; several files name theirs (or are <hostname>.*)")
    results: list[dict[str, Any]] = []
    for start in range(0, len(files), BATCH_FILES):
        batch = files[start : start + BATCH_FILES]
        sent = [("files", (f.name, f.read_bytes())) for f in batch]
        params = {"scanner": scanner} | ({"cluster": cluster} if cluster else {})
        results += fleet.session.json("POST", "/security/imports/batch", params=params, files=sent)["results"]
    if as_json:
        emit_json(results)
    else:
        for answer in results:
            _print_answer(answer["file"], answer)
    refused = [r["detail"] for r in results if r["outcome"] == "rejected"]
    for detail in refused[:-1]:
        fail(detail)  # one stderr line per refused file; the last one ends the command
    if refused:
        raise fail(refused[-1])


BATCH_FILES = 32


def _import_one(
    fleet: Client, path: Path, scanner: str, host: str | None, cluster: str | None, as_json: bool
) -> None:
    params = {"scanner": scanner, "filename": path.name, "host": host, "cluster": cluster}
    answer = fleet.session.json("POST", "/security/imports", params=params, content=path.read_bytes())
    if as_json:
        return emit_json(answer)
    _print_answer(path.name, answer)


def _print_answer(name: str, answer: dict[str, Any]) -> None:
    if answer["outcome"] == "rejected":
        return console.print(f"{name}: refused")
    if answer["outcome"] == "unchanged":
        return console.print(f"{name}: unchanged (already import {answer['import_id']})")
    counts = f"{answer['findings']} findings: {answer['opened']} opened, {answer['closed']} closed"
    console.print(
        f"{name} → {answer['asset_kind']} {answer['asset']}: {counts}, {answer['reopened']} reopened"
    )


@app.command("findings")
@remote
def findings(
    fleet: Client,
    open_only: bool = typer.Option(False, "--open", help="Only open findings (expired acceptances included)"),
    overdue: bool = typer.Option(False, help="Only findings past their due date"),
    severity: str | None = typer.Option(None, help="critical, high, medium, low or unknown"),
    node: str | None = typer.Option(None, help="A node's hostname"),
    cluster: str | None = typer.Option(None, help="A cluster's name"),
    check: str | None = typer.Option(None, help="A CVE or rule id"),
    limit: int = typer.Option(100, min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Findings newest first."""
    params: dict[str, Any] = {
        "open": open_only or None,
        "overdue": overdue or None,
        "severity": severity,
        "node": node,
    }
    params |= {"cluster": cluster, "check": check, "limit": limit}
    page = fleet.session.json("GET", "/security/findings", params=params)
    if as_json:
        return emit_json(page["items"])
    table(page["items"], FINDING_COLUMNS, title="security findings")


@app.command("dashboard")
@remote
def dashboard(fleet: Client, as_json: bool = JsonOption) -> None:
    """Open findings by severity, overdue, and the share of Criticals within SLA by cluster and supplier."""
    data = fleet.session.json("GET", "/security/dashboard")
    if as_json:
        return emit_json(data)
    table([data["open_by_severity"]], list(data["open_by_severity"]), title="open findings by severity")
    console.print(f"overdue: {data['overdue']}   criticals within SLA: {_pct(data['criticals_within_sla'])}")
    for by in ("cluster", "supplier"):
        rows = [{by: g["name"], "criticals within SLA": _pct(g)} for g in data[f"criticals_by_{by}"]]
        table(rows, [by, "criticals within SLA"], title=f"by {by}")


@app.command("accept")
@remote
def accept(
    fleet: Client,
    finding: int = typer.Argument(..., help="The finding's id"),
    until: str = typer.Option(..., help="When the acceptance ends, ISO 8601 with a zone (2026-03-01T00:00Z)"),
    reason: str = typer.Option(..., help="Why the risk is accepted (kept in the audit log)"),
) -> None:
    """Accept a finding's risk until a date: it leaves the SLA measure until then."""
    if not reason.strip():
        raise fail("--reason: a risk acceptance needs a reason")
    answer = fleet.session.json(
        "POST", f"/security/findings/{finding}/accept", json={"until": until, "reason": reason}
    )
    console.print(f"finding {finding}: accepted until {answer['accepted_until']} by {answer['accepted_by']}")


@app.command("affected")
@remote
def affected(
    fleet: Client,
    cve: str | None = typer.Option(None, help="A CVE: nodes with its finding not fixed"),
    package: str | None = typer.Option(None, help="A package: nodes whose installed version is in --range"),
    component: str | None = typer.Option(None, help="kernel, gpu_driver, vbios, bmc, bios or firmware"),
    name: str | None = typer.Option(None, help="One entry of the component (its Redfish Id)"),
    versions: str = typer.Option("", "--range", help="Affected versions, e.g. '>=3.0.0,<3.0.13-1~deb12u1'"),
    scheme: str | None = typer.Option(
        None, help="debian (packages' default) or dotted (components'; a VBIOS is read as hex fields)"
    ),
    cluster: str | None = typer.Option(None, help="Only this cluster's nodes"),
    as_json: bool = JsonOption,
) -> None:
    """Which nodes a bulletin affects (the embargo impact assessment), and which no source has described."""
    params = {"cve": cve, "package": package, "component": component, "name": name, "range": versions or None}
    params |= {"scheme": scheme, "cluster": cluster}
    answer = fleet.session.json("GET", "/security/affected", params=params)
    if as_json:
        return emit_json(answer)
    rows = [
        {
            "hostname": node["hostname"],
            "cluster": node["cluster"] or "",
            "state": node["state"],
            "why": "; ".join(_why(w) for w in node["why"]),
        }
        for node in answer["affected"]
    ]
    table(rows, ["hostname", "cluster", "state", "why"], title="affected nodes")
    console.print(
        f"{answer['affected_count']} of {answer['nodes_considered']} nodes affected "
        f"(range {answer['bulletin']['range']}); "
        f"{answer['unknown_count']} unknown (no source has described them)"
    )


def _why(why: dict[str, Any]) -> str:
    if why["by"] == "finding":
        return f"{why['check']} {why['package']} {why['installed_version'] or ''}".strip()
    return f"{why['by']} {why['name']} {why['version']}"


@app.command("software")
@remote
def node_software(
    fleet: Client, hostname: str = typer.Argument(..., help="The node"), as_json: bool = JsonOption
) -> None:
    """What a node runs: kernel, GPU driver, VBIOS, BMC and BIOS firmware, and since when."""
    rows = fleet.session.json("GET", f"/security/software/{hostname}")
    if as_json:
        return emit_json(rows)
    table(
        rows,
        ["component", "name", "version", "source", "seen_at", "checked_at"],
        title=f"{hostname} software",
    )
