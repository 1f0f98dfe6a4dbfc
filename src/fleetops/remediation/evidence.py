"""New evidence on a handed-over fault: what health reported after the ticket was written reaches the
supplier as a comment on that same ticket, once, instead of a second ticket or nothing at all.

A run counts its findings (`findings`, one per fault row intake attached to it) and how many its ticket
carries (`told`); the difference is the latest fault rows. Read for the claimed runs in one select.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.remediation.choices import RunState
from fleetops.remediation.models import RemediationFault as F


def line(check: str, xid: int | None, gpu_index: int | None, seen_at: Any) -> str:
    where = f"GPU {gpu_index}" if gpu_index is not None else "node"
    what = f"XID {xid}" if xid is not None else check
    return f"{seen_at:%Y-%m-%d %H:%M} UTC: {what} on {where}"


def attach(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give each claimed handed-over run the lines its supplier has not been told (`row["evidence"]`)."""
    untold = {
        row["id"]: row["findings"] - row["told"]
        for row in rows
        if RunState(row["state"]) is RunState.ESCALATED and row["ticket"] and row["findings"] > row["told"]
    }
    if not untold:
        return
    faults: dict[int, list[str]] = defaultdict(list)
    query = (
        select(F.run_id, F.check, F.xid, F.gpu_index, F.seen_at)
        .where(F.run_id.in_(untold))
        .order_by(F.run_id, F.id)
    )
    for run_id, check, xid, gpu_index, seen_at in session.execute(query):
        faults[run_id].append(line(check, xid, gpu_index, seen_at))
    for row in rows:
        if row["id"] in untold:
            row["evidence"] = tuple(faults[row["id"]][-untold[row["id"]] :])
