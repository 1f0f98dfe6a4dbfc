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
from fleetops.alerts.policy import RoutingTree, webhook
from fleetops.db.session import Database
from fleetops.errors import ExternalError, FleetopsError, InvalidInput

BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 300.0
BATCH = 200
LEASE_S = 60.0


def backoff(attempts: int) -> float:
    """2 s, 4 s, 8 s... capped at 5 minutes: a receiver that is down is not hammered."""
    return min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)


def _claim(database: Database, tree: RoutingTree, now: datetime) -> list[dict[str, Any]]:
    """Pick the due messages each destination's rate allows and lease them, so a second worker skips them.

    On PostgreSQL the pick is `FOR UPDATE SKIP LOCKED`; the lease (next_attempt_at pushed LEASE_S ahead) is
    what keeps the rows ours while they are sent with no transaction open. A worker that dies mid-send
    leaves them to be picked up again when the lease runs out: at least once, never lost.
    """
    table = models.Outbox
    columns = (
        table.id,
        table.kind,
        table.receiver,
        table.destination,
        table.dedup_key,
        table.action,
        table.payload,
        table.attempts,
    )
    with database.transaction() as session:
        stmt = (
            select(*columns)
            .where(table.status == OutboxStatus.PENDING.value, table.next_attempt_at <= now)
            .order_by(table.id)
            .limit(BATCH)
        )
        if not database.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = [dict(r._mapping) for r in session.execute(stmt)]
        last = _last_attempts(session, sorted({r["destination"] for r in rows}))
        picked = _within_rate(rows, last, {r.name: r.rate_per_s for r in tree.receivers}, now)
        if picked:
            lease = now + timedelta(seconds=LEASE_S)
            session.execute(
                update(table).where(table.id.in_([r["id"] for r in picked])).values(next_attempt_at=lease)
            )
    return picked


def _last_attempts(session: Any, destinations: list[str]) -> dict[str, datetime]:
    table = models.Outbox
    stmt = (
        select(table.destination, func.max(table.last_attempt_at))
        .where(table.destination.in_(destinations))
        .group_by(table.destination)
    )
    return {k: v for k, v in session.execute(stmt).all() if v is not None}


def _within_rate(
    rows: list[dict[str, Any]], last: dict[str, datetime], rates: dict[str, float], now: datetime
) -> list[dict[str, Any]]:
    """At most ⌊rate⌋ (at least one) per destination per tick, and none sooner than 1/rate after the last."""
    sent: dict[str, int] = {}
    picked = []
    for row in rows:
        rate, destination = rates.get(row["receiver"], 1.0), row["destination"]
        previous = last.get(destination)
        if previous is not None and (now - previous).total_seconds() < 1 / rate:
            continue
        if sent.get(destination, 0) >= max(1, math.floor(rate)):
            continue
        sent[destination] = sent.get(destination, 0) + 1
        picked.append(row)
    return picked


def _send(row: dict[str, Any], notifiers: Notifiers) -> str | None:
    """Deliver one message; returns the remote id when the receiver gives one."""
    if row["kind"] == "pagerduty":
        key = notifiers.secrets.routing_keys.get(row["receiver"])
        if key is None:
            raise InvalidInput(f"receiver {row['receiver']}: no [fleetops.notify.routing_keys] entry")
        event = row["payload"] | {"routing_key": key.get_secret_value()}
        return notifiers.pager.send_event(row["destination"], event)
    if row["kind"] == "slack":
        notifiers.chat.post(webhook(row["destination"], notifiers.secrets), row["payload"])
        return None
    label = row["dedup_key"]
    existing = notifiers.ticketer.find_issue(row["destination"], label)
    if row["action"] == "resolve":
        if existing:  # a ticket never created has nothing to close
            notifiers.ticketer.close_issue(row["destination"], existing, row["payload"]["comment"])
        return existing
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
    """Send every due message within each destination's rate; returns how many were delivered."""
    outcomes = [(row["id"], _outcome(row, notifiers, now)) for row in _claim(database, tree, now)]
    with database.transaction() as session:
        for row_id, values in outcomes:
            values.setdefault("next_attempt_at", now)
            session.execute(update(models.Outbox).where(models.Outbox.id == row_id).values(**values))
    return sum(1 for _, v in outcomes if v.get("status") == OutboxStatus.DELIVERED.value)
