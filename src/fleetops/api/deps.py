"""Per-request dependencies: one transaction per request, and the principal behind the bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from fleetops.auth.principal import Principal
from fleetops.auth.service import authenticate
from fleetops.db.session import get_database
from fleetops.errors import Unauthenticated

bearer = HTTPBearer(auto_error=False, description="An API token: `fleetops token create --role ...`")


def session() -> Iterator[Session]:
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
