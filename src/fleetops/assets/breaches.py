"""SLA breaches become findings of the alert pipeline, once per timer and subject, labelled with the team.

The pipeline places an alert by its node or cluster: a breach about a deployed asset carries its node, one
about an order its cluster; a breach with neither (a vendor's onboarding, the procurement feed) is placed
by its `team` label: a team incident the routing tree sends to that team's channel. Where the pipeline
refused one, its reason is kept on the row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts import service as alerts
from fleetops.alerts.context import Context
from fleetops.assets.models import SlaBreach
from fleetops.assets.sla import Reading, Timer, evaluate
from fleetops.db.session import Database
from fleetops.flow import Alert, fingerprint


def _alert(reading: Reading) -> Alert:
    timer, tick = reading.timer, reading.tick
    identity = {"alertname": f"asset_sla_{timer.name}", "subject": tick.subject}
    place = {"node": tick.node} if tick.node else {"cluster": tick.cluster} if tick.cluster else {}
    labels = identity | place | {"severity": "warning", "owner": timer.owner, "team": timer.team}
    used = f"{reading.used.total_seconds() / 3600:.1f} h"
    return Alert(
        fingerprint=fingerprint(identity),
        labels=labels,
        status="firing",
        starts_at=reading.due_at,
        source="assets",
        annotations={"summary": f"{tick.subject}: {timer.what} ({used} used, limit {timer.limit})"},
    )


def _placed(labels: dict[str, str]) -> str:
    return labels.get("node") or labels.get("cluster") or f"team {labels['team']}"


def check(session: Session, now: datetime, timers: tuple[Timer, ...] | None = None) -> list[SlaBreach]:
    """Record and route the breaches not seen before; returns the new ones."""
    seen = {(t, s) for t, s in session.execute(select(SlaBreach.timer, SlaBreach.subject))}
    fresh = [
        r for r in evaluate(session, now, timers) if r.breached and (r.timer.name, r.tick.subject) not in seen
    ]
    made = [_alert(r) for r in fresh]
    if made:
        alerts.process(list(made), Context(session, now=now, actor="fleetops:assets"))
    rows = [
        SlaBreach(
            timer=r.timer.name,
            subject=r.tick.subject,
            team=r.timer.team,
            started_at=r.tick.started_at,
            due_at=r.due_at,
            found_at=now,
            routed=(a.stopped or f"alert pipeline ({_placed(a.labels)})")[:300],
            alert_fingerprint=a.fingerprint,
        )
        for r, a in zip(fresh, made, strict=True)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def status(session: Session, now: datetime) -> dict[str, object]:
    """For the console and the scorecard: each timer's running clocks and breaches, and the breach rows."""
    timers: dict[str, dict[str, object]] = {}
    for reading in evaluate(session, now):
        timer = timers.setdefault(
            reading.timer.name,
            {
                "what": reading.timer.what,
                "team": reading.timer.team,
                "limit_h": reading.timer.limit.total_seconds() / 3600,
                "subjects": 0,
                "breached": 0,
                "running": 0,
            },
        )
        timer["subjects"] = int(timer["subjects"]) + 1  # type: ignore[call-overload]
        timer["breached"] = int(timer["breached"]) + reading.breached  # type: ignore[call-overload]
        timer["running"] = int(timer["running"]) + (reading.tick.stopped_at is None)  # type: ignore[call-overload]
    rows = session.scalars(select(SlaBreach).order_by(SlaBreach.id.desc()).limit(200))
    found = [
        {"timer": b.timer, "subject": b.subject, "team": b.team, "due_at": b.due_at, "routed": b.routed}
        for b in rows
    ]
    return {"timers": timers, "breaches": found}


def tick(database: Database) -> int:
    """The worker's turn: every timer checked now; the count of new breaches routed."""
    with database.transaction() as session:
        return len(check(session, clock.now()))
