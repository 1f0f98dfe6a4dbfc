"""Per-request dependencies: text that can be stored, one transaction per request, and the principal
behind the bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.auth.service import authenticate
from fleetops.db.session import get_database
from fleetops.errors import InvalidInput, Unauthenticated

bearer = HTTPBearer(auto_error=False, description="An API token: `fleetops token create --role ...`")


async def storable_text(request: Request) -> None:
    """NUL is no character of any fleetops name or text and PostgreSQL cannot store one (a 500 there, the
    fuzz found, while SQLite kept it): refused where it enters, on both backends alike, in the path, the
    query or a JSON body. Every route that opens a transaction asks this first."""
    where = "path" if "\x00" in request.url.path else None
    for name, value in request.query_params.multi_items():
        if where is None and ("\x00" in name or "\x00" in value):
            where = f"query parameter {name!r}"
    if where is None and request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()  # kept by Starlette for the route to read again
        where = "body" if b"\\u0000" in body or b"\x00" in body else None
    if where is not None:
        raise InvalidInput(f"{where}: contains a NUL character (\\u0000), which no field may hold")


def session(_: Annotated[None, Depends(storable_text)]) -> Iterator[Session]:
    with get_database().transaction() as db_session:
        yield db_session


SessionDep = Annotated[Session, Depends(session)]


def principal(
    request: Request,
    db_session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    token = credentials.credentials if credentials else request.cookies.get("fleetops_token")
    if not token:
        raise Unauthenticated("missing API token: send `Authorization: Bearer <token>`")
    who = authenticate(db_session, token)
    who.require_path(request.url.path)
    return who


PrincipalDep = Annotated[Principal, Depends(principal)]
