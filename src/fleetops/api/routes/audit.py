"""Audit log queries and export (JSON or CSV), for staff roles only."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from fleetops.api import bodies
from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.api.types import Cursor
from fleetops.audit.service import AuditQuery, as_dict, query

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
FIELDS = ["id", "at", "actor", "action", "target_type", "target_key", "result", "changes"]


@router.get(
    "",
    summary="Query the audit log",
    response_class=PlainTextResponse,
    responses=bodies.files(
        {"application/json": bodies.page({"type": "object", "required": FIELDS}), "text/csv": bodies.TEXT}
    ),
    description="Ordered by id; page with `cursor` (the `next_cursor` of the previous page) or `after_id`.",
)
def list_audit(
    db: SessionDep,
    who: PrincipalDep,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_key: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: Cursor | None = None,
    cursor: Cursor | None = None,
    limit: int = Query(100, ge=1, le=10_000),
    format: Literal["json", "csv"] = "json",
) -> PlainTextResponse:
    who.require_staff()
    events = [
        as_dict(e)
        for e in query(
            db,
            AuditQuery(
                actor=actor,
                action=action,
                target_type=target_type,
                target_key=target_key,
                since=since,
                until=until,
                after_id=cursor or after_id,
                limit=limit,
            ),
        )
    ]
    if format == "json":
        next_cursor = events[-1]["id"] if len(events) == limit else None
        body = json.dumps({"items": events, "next_cursor": next_cursor})
        return PlainTextResponse(body, media_type="application/json")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    for event in events:
        writer.writerow(event | {"changes": json.dumps(event["changes"])})
    return PlainTextResponse(buffer.getvalue(), media_type="text/csv")
