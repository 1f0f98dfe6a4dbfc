"""`/api/v1/okr`: the goals' scorecard (staff) and the pager history import (the page-reduction baseline)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.api.types import Days
from fleetops.errors import InvalidInput
from fleetops.okr import pager
from fleetops.okr.schemas import KeyResultRead, PagerImported
from fleetops.okr.scorecard import as_dict, scorecard

router = APIRouter(prefix="/api/v1/okr", tags=["okr"])


@router.get(
    "",
    summary="Each measurable key result: target, current value, status and its records",
    response_model=list[KeyResultRead],
)
def key_results(session: SessionDep, principal: PrincipalDep, days: Days = 30) -> list[dict[str, Any]]:
    return [as_dict(row) for row in scorecard(session, principal, days)]


@router.post(
    "/pager-history",
    summary="Import a pager's incident export (CSV) as the page baseline",
    response_model=PagerImported,
)
async def import_pager_history(
    request: Request, session: SessionDep, principal: PrincipalDep, source: str = "pager-history.csv"
) -> dict[str, Any]:
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source}: not UTF-8 text") from exc
    return {"pages": pager.import_history(session, principal, text, source)}
