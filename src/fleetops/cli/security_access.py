"""`fleetops security access ...`: the access review (import, report, baseline), access requests and the
quarterly review (`/api/v1/security/access`); `fleetops security incidents ...`
(`/api/v1/security/incidents`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from fleetops.cli.output import JsonOption, console, emit_json, fail, table
from fleetops.cli.remote import remote
from fleetops.client import Client
from fleetops.security.access.schemas import ReportRead, RequestRead, ReviewRead, SnapshotRead
from fleetops.security.incidents.schemas import IncidentDetail, IncidentRead, NoticeRead

access_app = typer.Typer(
    help="Access review: who reaches production, requests, quarterly reviews.", no_args_is_help=True
)
BASE = "/security/access"


def _file(path: Path) -> dict[str, str]:
    try:
        return {"name": path.name, "text": path.read_text(encoding="utf-8")}
    except OSError as exc:
        raise fail(f"{path}: {exc.strerror}") from None


@access_app.command("import")
@remote
def import_files(
    fleet: Client,
    tailnet: Path = typer.Option(..., help="The Tailscale policy file (HuJSON)."),
    teleport_roles: Path = typer.Option(..., help="`tctl get roles` output (YAML)."),
    users: Path = typer.Option(..., help="The directory CSV: user,name,role,teleport_roles,mfa."),
    as_json: bool = JsonOption,
) -> None:
    """Import the three files as one snapshot (all or nothing; the same files again change nothing)."""
    body = {"tailnet": _file(tailnet), "teleport_roles": _file(teleport_roles), "users": _file(users)}
    snapshot = SnapshotRead.model_validate(fleet.session.json("POST", f"{BASE}/imports", json=body))
    if as_json:
        emit_json(snapshot)
        return
    summary = snapshot.summary
    console.print(
        f"snapshot {snapshot.id}: {summary['people']} people, {summary['with_production']} with standing "
        f"production access, {len(summary['unnecessary'])} unnecessary, flags {summary['flags']}",
        highlight=False,
    )


@access_app.command("report")
@remote
def report(
    fleet: Client,
    snapshot: int | None = typer.Option(None, help="A snapshot id (default: the latest)."),
    paths: bool = typer.Option(False, "--paths", help="Also list every production path."),
    as_json: bool = JsonOption,
) -> None:
    """Who reaches production as which login, the flags, and the reduction against the baseline."""
    params = {"snapshot_id": snapshot} if snapshot else {}
    found = ReportRead.model_validate(fleet.session.json("GET", f"{BASE}/report", params=params))
    if as_json:
        emit_json(found)
        return
    if paths:
        columns = ["user", "role", "system", "via", "target", "login", "standing", "session_hours"]
        table([r.model_dump() for r in found.reaches], columns, title="production paths")
    table([f.model_dump() for f in found.flags], ["user", "kind", "detail"], title="flags")
    cut = found.reduction
    if cut.get("baseline_id") is not None:
        console.print(
            f"unnecessary production access: {cut['unnecessary_before']} at baseline {cut['baseline_id']}, "
            f"{cut['unnecessary_now']} now ({cut['reduction_pct']} % fewer); removed {cut['removed']}, "
            f"added {cut['added']}",
            highlight=False,
        )


@access_app.command("baseline")
@remote
def baseline(fleet: Client, snapshot: int = typer.Argument(..., help="The snapshot id.")) -> None:
    """Save a snapshot as the baseline the report measures reduction against."""
    SnapshotRead.model_validate(fleet.session.json("POST", f"{BASE}/snapshots/{snapshot}/baseline"))
    console.print(f"baseline: snapshot {snapshot}")


REQUEST_COLUMNS = [
    "id",
    "user",
    "system",
    "access",
    "hours",
    "state",
    "requested_by",
    "decided_by",
    "expires_at",
]


def _requests(rows: list[Any], as_json: bool) -> None:
    found = [RequestRead.model_validate(r) for r in rows]
    if as_json:
        emit_json(found)
    else:
        table([r.model_dump() for r in found], REQUEST_COLUMNS, title="access requests")


@access_app.command("request")
@remote
def request(
    fleet: Client,
    user: str = typer.Argument(..., help="Who needs the access (their directory user)."),
    access: str = typer.Argument(..., help="A Teleport role or a Tailscale group."),
    reason: str = typer.Option(..., help="Why (kept in the audit log)."),
    hours: float = typer.Option(4, help="How long the grant lasts once granted (at most 72)."),
    system: str = typer.Option("teleport", help="teleport or tailscale."),
    as_json: bool = JsonOption,
) -> None:
    """Ask for time-bound production access; someone else grants it."""
    body = {"user": user, "system": system, "access": access, "reason": reason, "hours": hours}
    _requests([fleet.session.json("POST", f"{BASE}/requests", json=body)], as_json)


@access_app.command("requests")
@remote
def requests(
    fleet: Client,
    state: str | None = typer.Option(None, help="requested, granted..."),
    as_json: bool = JsonOption,
) -> None:
    """Access requests, newest first."""
    _requests(
        fleet.session.json("GET", f"{BASE}/requests", params={"state": state} if state else {}), as_json
    )


def _act(verb: str) -> Any:
    @remote
    def command(
        fleet: Client,
        request_id: int = typer.Argument(...),
        why: str = typer.Option("", help="Kept in the audit log."),
        as_json: bool = JsonOption,
    ) -> None:
        _requests(
            [fleet.session.json("POST", f"{BASE}/requests/{request_id}/{verb}", json={"why": why})], as_json
        )

    command.__doc__ = {
        "grant": "Grant a request (not your own): the access lasts its hours, then expires by itself.",
        "deny": "Deny a request.",
        "revoke": "End a grant before its time.",
    }[verb]
    return command


for _verb in ("grant", "deny", "revoke"):
    access_app.command(_verb)(_act(_verb))


def _review(data: Any, as_json: bool) -> None:
    found = ReviewRead.model_validate(data)
    if as_json:
        emit_json(found)
        return
    signed = f"signed off by {found.signed_off_by}" if found.signed_off_by else "not signed off"
    columns = ["position", "decision", "text", "decided_by", "note"]
    table([i.model_dump() for i in found.items], columns, title=f"access review {found.quarter} ({signed})")


@access_app.command("review")
@remote
def review(
    fleet: Client,
    quarter: str = typer.Argument(..., help="e.g. 2026-Q1"),
    open_it: bool = typer.Option(
        False, "--open", help="Open the quarter's checklist on the latest snapshot."
    ),
    decide: int | None = typer.Option(None, help="Decide this item (its position)."),
    decision: str = typer.Option("done", help="done (a step), keep or revoke (a person's access)."),
    note: str = typer.Option(""),
    sign_off: bool = typer.Option(False, "--sign-off", help="Sign the review off (not its opener)."),
    as_json: bool = JsonOption,
) -> None:
    """The quarterly access review checklist: open, decide items, sign off, or show it."""
    path = f"{BASE}/reviews/{quarter}"
    if open_it:
        fleet.session.json("POST", f"{BASE}/reviews", json={"quarter": quarter})
    if decide is not None:
        fleet.session.json("POST", f"{path}/items/{decide}", json={"decision": decision, "note": note})
    if sign_off:
        fleet.session.json("POST", f"{path}/sign-off")
    _review(fleet.session.json("GET", path), as_json)


incidents_app = typer.Typer(
    help="Security incidents: P0-P3, roles, timeline, customer notices.", no_args_is_help=True
)
INCIDENTS = "/security/incidents"


def _incident(data: Any, as_json: bool) -> None:
    found = IncidentDetail.model_validate(data)
    if as_json:
        emit_json(found)
        return
    secret = " [confidential]" if found.confidential else ""
    console.print(
        f"{found.key} {found.priority} {found.state}{secret}: {found.title} "
        f"(commander {found.commander or '—'}, response due {found.sla['response_due']}, "
        f"met {found.sla['response_met']})",
        highlight=False,
    )
    table(
        [e.model_dump() for e in found.timeline],
        ["at", "actor", "kind", "to_state", "text"],
        title="timeline",
    )


@incidents_app.command("declare")
@remote
def declare(
    fleet: Client,
    title: str = typer.Argument(...),
    priority: str = typer.Option(..., help="P0, P1, P2 or P3."),
    summary: str = typer.Option(""),
    customers: str = typer.Option("", help="Who the notices address."),
    confidential: bool = typer.Option(False, "--confidential", help="Only security tokens see it."),
    as_json: bool = JsonOption,
) -> None:
    """Declare a security incident; its response clock starts now."""
    body = {"title": title, "priority": priority, "summary": summary, "customers": customers}
    _incident(fleet.session.json("POST", INCIDENTS, json=body | {"confidential": confidential}), as_json)


@incidents_app.command("list")
@remote
def list_incidents(
    fleet: Client, open_only: bool = typer.Option(False, "--open"), as_json: bool = JsonOption
) -> None:
    """Security incidents you may see, newest first."""
    rows = [
        IncidentRead.model_validate(r)
        for r in fleet.session.json("GET", INCIDENTS, params={"open_only": open_only})
    ]
    if as_json:
        emit_json(rows)
        return
    columns = ["key", "priority", "state", "title", "commander", "declared_at", "confidential"]
    table([r.model_dump() for r in rows], columns, title="security incidents")


@incidents_app.command("show")
@remote
def show(
    fleet: Client, key: str = typer.Argument(..., help="SEC-12 or 12"), as_json: bool = JsonOption
) -> None:
    """One incident: its SLA clock and timeline."""
    _incident(fleet.session.json("GET", f"{INCIDENTS}/{key}"), as_json)


@incidents_app.command("move")
@remote
def move(
    fleet: Client,
    key: str = typer.Argument(...),
    state: str = typer.Argument(...),
    why: str = typer.Option(""),
) -> None:
    """investigating, contained, resolved, closed (closing needs a root cause: `update --root-cause`)."""
    _incident(
        fleet.session.json("POST", f"{INCIDENTS}/{key}/state", json={"state": state, "why": why}), False
    )


@incidents_app.command("assign")
@remote
def assign(
    fleet: Client,
    key: str = typer.Argument(...),
    role: str = typer.Argument(..., help="commander, communications, technical_lead"),
    person: str = typer.Argument(...),
) -> None:
    """Name who leads, who talks to customers, who leads the technical work."""
    _incident(
        fleet.session.json("POST", f"{INCIDENTS}/{key}/roles", json={"role": role, "person": person}), False
    )


@incidents_app.command("note")
@remote
def note(
    fleet: Client,
    key: str = typer.Argument(...),
    text: str = typer.Argument(...),
    public: bool = typer.Option(False, "--public", help="Quote it in the next customer update."),
) -> None:
    """Add to the timeline."""
    fleet.session.json("POST", f"{INCIDENTS}/{key}/notes", json={"text": text, "public": public})
    console.print(f"{key}: noted")


@incidents_app.command("update")
@remote
def update(
    fleet: Client,
    key: str = typer.Argument(...),
    root_cause: str | None = typer.Option(None),
    summary: str | None = typer.Option(None),
    confidential: bool | None = typer.Option(None, "--confidential/--not-confidential"),
) -> None:
    """Change the summary, root cause or confidentiality (security tokens only for the last)."""
    body = {
        k: v
        for k, v in {"root_cause": root_cause, "summary": summary, "confidential": confidential}.items()
        if v is not None
    }
    _incident(fleet.session.json("PATCH", f"{INCIDENTS}/{key}", json=body), False)


@incidents_app.command("notice")
@remote
def notice(
    fleet: Client,
    key: str = typer.Argument(...),
    kind: str = typer.Argument(..., help="first_notice, update or post_incident"),
) -> None:
    """Print a customer notice rendered for this incident."""
    typer.echo(fleet.session.request("GET", f"{INCIDENTS}/{key}/notices/{kind}").text)


@incidents_app.command("send")
@remote
def send_notice(
    fleet: Client,
    key: str = typer.Argument(...),
    kind: str = typer.Argument(..., help="first_notice, update or post_incident"),
    customers: list[str] = typer.Option(
        [], "--customer", help="An inventory customer to tell (repeat it); default: the incident's own."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Send a customer notice: one Slack message per customer through the outbox, to all or to none.
    Lists every notice queued for the incident so far, with where its delivery stands."""
    path = f"{INCIDENTS}/{key}/notices/{kind}/send"
    sent = [
        NoticeRead.model_validate(r) for r in fleet.session.json("POST", path, json={"customers": customers})
    ]
    if as_json:
        emit_json(sent)
        return
    columns = ["id", "notice", "customer", "status", "attempts", "queued_at", "delivered_at", "last_error"]
    table([r.model_dump() for r in sent], columns, title=f"{key}: customer notices")


updates_app = typer.Typer(
    help="Emergency updates: drain → update → qualify → resume, capped.", no_args_is_help=True
)
UPDATES = "/security/updates"


@updates_app.command("plan")
@remote
def plan_update(
    fleet: Client,
    name: str = typer.Argument(...),
    cluster: str = typer.Option(...),
    bulletin: str = typer.Option(..., help="The CVE or advisory, e.g. CVE-2026-0001."),
    max_drained_pct: float = typer.Option(10.0, help="At most this share of the cluster drained at once."),
) -> None:
    """Plan an emergency update over every node of a cluster in service."""
    body = {"name": name, "cluster": cluster, "bulletin": bulletin, "max_drained_pct": max_drained_pct}
    emit_json(fleet.session.json("POST", UPDATES, json=body))


@updates_app.command("show")
@remote
def show_update(
    fleet: Client, name: str = typer.Argument(...), timeline: bool = typer.Option(False, "--timeline")
) -> None:
    """State, nodes per step and (with --timeline) every step of every node."""
    emit_json(fleet.session.json("GET", f"{UPDATES}/{name}", params={"timeline": timeline}))


def _update_verb(verb: str) -> Any:
    @remote
    def command(fleet: Client, name: str = typer.Argument(...), why: str = typer.Option("")) -> None:
        emit_json(fleet.session.json("POST", f"{UPDATES}/{name}/{verb}", json={"why": why}))

    command.__doc__ = f"{verb.capitalize()} an emergency update (audited)."
    return command


for _verb in ("start", "pause", "resume"):
    updates_app.command(_verb)(_update_verb(_verb))


@updates_app.command("rehearse")
def rehearse_update(
    nodes: int = typer.Option(64, min=1, max=10_000),
    max_drained_pct: float = typer.Option(10.0),
    cluster: str = typer.Option("staging", help="A new non-production cluster of that name."),
) -> None:
    """Rehearse in the simulator (this machine's database): a simulated critical CVE on a new cluster."""
    from fleetops.db.session import get_database
    from fleetops.security.updates.rehearsal import rehearse

    done = rehearse(get_database(), nodes, max_drained_pct, cluster=cluster)
    emit_json(done.__dict__)
