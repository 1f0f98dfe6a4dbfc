"""Dedupe: one row per fingerprint. A repeat refreshes it, a resolve closes it, nothing multiplies.

Set-based: one select per 500 fingerprints, one executemany insert, one executemany update.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update

from fleetops.alerts import models
from fleetops.alerts.context import Context
from fleetops.db.bulk import chunks
from fleetops.flow import Alert

ALERTS = cast(Table, models.Alert.__table__)  # Core table for executemany statements


def _existing(ctx: Context, fingerprints: list[str]) -> dict[str, tuple[int, str, int | None]]:
    table = models.Alert
    found: dict[str, tuple[int, str, int | None]] = {}
    for part in chunks(fingerprints):
        stmt = select(table.fingerprint, table.id, table.status, table.incident_id).where(
            table.fingerprint.in_(part)
        )
        found.update({row[0]: (row[1], row[2], row[3]) for row in ctx.session.execute(stmt)})
    return found


def _collapse(alerts: list[Alert], ctx: Context) -> list[Alert]:
    """Within one batch the last word on a fingerprint wins; the earlier ones are repeats."""
    latest: dict[str, Alert] = {}
    for alert in alerts:
        if alert.fingerprint in latest:
            ctx.stop(latest[alert.fingerprint], "repeated in the same batch", "duplicate")
        latest[alert.fingerprint] = alert
    return list(latest.values())


def _new_row(alert: Alert, ctx: Context) -> dict[str, Any]:
    return {
        "fingerprint": alert.fingerprint,
        "source": alert.source,
        "alertname": alert.labels.get("alertname", ""),
        "owner": alert.labels.get("owner", "unknown"),
        "status": alert.status,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "node_id": alert.node_id,
        "rack_id": alert.rack_id,
        "cluster_id": alert.cluster_id,
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "first_seen_at": ctx.now,
        "last_seen_at": ctx.now,
        "repeats": 0,
    }


def _insert(ctx: Context, alerts: list[Alert]) -> None:
    """One executemany insert; new rows need no id here (correlate reads them back by cluster)."""
    if alerts:
        ctx.session.connection().execute(insert(ALERTS), [_new_row(a, ctx) for a in alerts])


def _update(ctx: Context, changes: list[dict[str, Any]]) -> None:
    if not changes:
        return
    table = ALERTS
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            ends_at=bindparam("b_ends_at"),
            labels=bindparam("b_labels"),
            owner=bindparam("b_owner"),
            last_seen_at=bindparam("b_seen"),
            repeats=table.c.repeats + 1,
        )
    )
    ctx.session.connection().execute(stmt, changes)


def run(alerts: list[Alert], ctx: Context) -> list[Alert]:
    """Pass on what changes an incident (new, reopened, resolved); stop plain repeats, saying so."""
    alerts = _collapse(alerts, ctx)
    existing = _existing(ctx, [a.fingerprint for a in alerts])
    fresh, passed, changes = [], [], []
    for alert in alerts:
        known = existing.get(alert.fingerprint)
        if known is None:
            fresh.append(alert)
            passed.append(alert)
            continue
        alert.alert_id, was, _ = known
        changes.append(
            {
                "b_id": alert.alert_id,
                "b_status": alert.status,
                "b_labels": alert.labels,
                "b_owner": alert.labels.get("owner", "unknown"),
                "b_ends_at": alert.ends_at if not alert.firing else None,
                "b_seen": ctx.now,
            }
        )
        if was == alert.status:
            ctx.stop(alert, f"repeat of alert #{alert.alert_id} ({alert.status}): refreshed", "duplicate")
        else:
            passed.append(alert)
    _insert(ctx, fresh)
    _update(ctx, changes)
    return passed
