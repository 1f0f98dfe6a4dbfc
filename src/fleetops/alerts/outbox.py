"""Outbox delivery: at least once, retried with backoff on 429, 5xx and unreachable receivers only.

Rows are read in one short transaction, sent with no transaction open, and their outcome written in
another: a crash between the two re-sends (at least once, same dedup_key), it never loses a message.
Each destination is rate limited (Slack allows about one message per second per webhook).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from fleetops.alerts import models
from fleetops.alerts.choices import OutboxStatus
from fleetops.alerts.notify import Notifiers
from fleetops.alerts.policy import RoutingTree
from fleetops.db.session import Database
from fleetops.errors import ExternalError, FleetopsError

BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 300.0
BATCH = 200


def backoff(attempts: int) -> float:
    """2 s, 4 s, 8 s... capped at 5 minutes: a receiver that is down is not hammered."""
    return min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)


def _due(database: Database, now: datetime) -> tuple[list[dict[str, Any]], dict[str, datetime]]:
    table = models.Outbox
    with database.transaction() as session:
        stmt = (
            select(
                table.id,
                table.kind,
                table.receiver,
                table.destination,
                table.dedup_key,
                table.payload,
                table.attempts,
            )
            .where(table.status == OutboxStatus.PENDING.value, table.next_attempt_at <= now)
            .order_by(table.id)
            .limit(BATCH)
        )
        rows = [dict(r._mapping) for r in session.execute(stmt)]
        destinations = sorted({r["destination"] for r in rows})
        last = dict(
            session.execute(
                select(table.destination, func.max(table.last_attempt_at))
                .where(table.destination.in_(destinations))
                .group_by(table.destination)
            ).all()
        )
    return rows, {k: v for k, v in last.items() if v is not None}


def _send(row: dict[str, Any], notifiers: Notifiers) -> str | None:
    """Deliver one message; returns the remote id when the receiver gives one."""
    if row["kind"] == "pagerduty":
        return notifiers.pager.send_event(row["destination"], row["payload"])
    if row["kind"] == "slack":
        notifiers.chat.post(row["destination"], row["payload"])
        return None
    label = row["dedup_key"]
    existing = notifiers.ticketer.find_issue(row["destination"], label)
    return existing or notifiers.ticketer.create_issue(
        row["destination"], row["payload"]["fields"] if "fields" in row["payload"] else row["payload"]
    )


def _outcome(row: dict[str, Any], notifiers: Notifiers, now: datetime) -> dict[str, Any]:
    attempts = row["attempts"] + 1
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now}
    try:
        values |= {
            "remote_id": _send(row, notifiers),
            "status": OutboxStatus.DELIVERED.value,
            "delivered_at": now,
            "last_error": None,
        }
    except ExternalError as exc:
        if exc.retryable:
            values |= {
                "next_attempt_at": now + timedelta(seconds=backoff(attempts)),
                "last_error": exc.message,
            }
        else:
            values |= {"status": OutboxStatus.FAILED.value, "last_error": exc.message}
    except FleetopsError as exc:
        values |= {"status": OutboxStatus.FAILED.value, "last_error": exc.message}
    return values


def deliver(database: Database, tree: RoutingTree, notifiers: Notifiers, now: datetime) -> int:
    """Try every due message within each destination's rate; returns how many were delivered."""
    rows, last = _due(database, now)
    rates = {r.name: r.rate_per_s for r in tree.receivers}
    sent: dict[str, int] = {}
    outcomes: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        rate = rates.get(row["receiver"], 1.0)
        previous = last.get(row["destination"])
        if previous is not None and (now - previous).total_seconds() < 1 / rate:
            continue
        if sent.get(row["destination"], 0) >= max(1, math.floor(rate)):
            continue
        sent[row["destination"]] = sent.get(row["destination"], 0) + 1
        outcomes.append((row["id"], _outcome(row, notifiers, now)))
    with database.transaction() as session:
        for row_id, values in outcomes:
            session.execute(update(models.Outbox).where(models.Outbox.id == row_id).values(**values))
    return sum(1 for _, v in outcomes if v.get("status") == OutboxStatus.DELIVERED.value)
