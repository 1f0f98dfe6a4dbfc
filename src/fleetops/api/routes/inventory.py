"""Inventory endpoints: list/get/create/update for every kind, generated from the one kinds table.

No `from __future__ import annotations` here: FastAPI must see each generated body type itself.
"""

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from fleetops.api.deps import PrincipalDep, SessionDep
from fleetops.errors import InvalidInput
from fleetops.inventory import service
from fleetops.inventory.kinds import KINDS, Kind
from fleetops.inventory.schemas import GpuRecord, patch_model

router = APIRouter(prefix="/api/v1", tags=["inventory"])
FILTERS = (
    "supplier",
    "region",
    "site",
    "rack",
    "pod",
    "cluster",
    "customer",
    "state",
    "orchestrator",
    "node",
)
PAGE_DOC = {"description": "A page of records: `items` and `next_cursor` (null on the last page)."}


def _filters(request: Request, kind: Kind) -> dict[str, str | None]:
    unknown = set(request.query_params) - {*FILTERS, "cursor", "limit"}
    if unknown:
        raise InvalidInput(f"query parameter {sorted(unknown)[0]!r}: not a filter of {kind.plural}")
    return {name: request.query_params.get(name) for name in FILTERS}


def _add_list(kind: Kind) -> None:
    @router.get(
        f"/{kind.plural}",
        name=f"list_{kind.plural}",
        responses={200: PAGE_DOC},
        summary=f"List {kind.plural}",
        description=f"Filters: {', '.join(sorted(kind.filters)) or 'none'}.",
    )
    def list_kind(
        request: Request,
        db: SessionDep,
        who: PrincipalDep,
        cursor: str | None = None,
        limit: int = Query(100, ge=1, le=service.MAX_LIMIT),
    ) -> JSONResponse:
        page = service.list_records(db, who, kind, _filters(request, kind), cursor=cursor, limit=limit)
        return JSONResponse({"items": page.items, "next_cursor": page.next_cursor})


def _add_get(kind: Kind) -> None:
    @router.get(f"/{kind.plural}/{{record_id}}", name=f"get_{kind.name}", summary=f"Get one {kind.name}")
    def get_kind(record_id: int, db: SessionDep, who: PrincipalDep) -> dict[str, Any]:
        return service.get_record(db, who, kind, record_id)


def _add_create(kind: Kind) -> None:
    body_type: Any = kind.record

    @router.post(
        f"/{kind.plural}", name=f"create_{kind.name}", status_code=201, summary=f"Create a {kind.name}"
    )
    def create_kind(body: body_type, db: SessionDep, who: PrincipalDep) -> dict[str, Any]:  # type: ignore[valid-type]
        return service.create_record(db, who, kind, body)


def _add_update(kind: Kind) -> None:
    patch_type: Any = patch_model(kind.record)

    @router.patch(
        f"/{kind.plural}/{{record_id}}", name=f"update_{kind.name}", summary=f"Update a {kind.name}"
    )
    def update_kind(record_id: int, body: patch_type, db: SessionDep, who: PrincipalDep) -> dict[str, Any]:  # type: ignore[valid-type]
        return service.update_record(db, who, kind, record_id, body.model_dump(exclude_unset=True))


for _kind in KINDS.values():
    _add_list(_kind)
    _add_get(_kind)
    if _kind.record is not GpuRecord:
        _add_create(_kind)
    _add_update(_kind)


@router.get("/reports/untracked-clusters", tags=["reports"], summary="Clusters missing tracking details")
def untracked(db: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    who.require_staff()
    return {"items": service.untracked_clusters(db)}
