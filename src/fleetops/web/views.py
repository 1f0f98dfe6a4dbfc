"""Console pages. A token pasted once at /login lives in an HttpOnly cookie; pages call the services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.api.deps import SessionDep
from fleetops.auth.principal import Principal
from fleetops.auth.service import authenticate
from fleetops.errors import FleetopsError, NotFound, Unauthenticated
from fleetops.inventory import service as inventory
from fleetops.inventory.choices import NodeState
from fleetops.inventory.kinds import KINDS
from fleetops.web.format import FILTERS

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["NodeState"] = NodeState
templates.env.filters.update(FILTERS)
templates.env.globals["now"] = clock.now
router = APIRouter(include_in_schema=False)
COOKIE = "fleetops_token"


def console_principal(request: Request, db: SessionDep) -> Principal | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        who = authenticate(db, token)
    except Unauthenticated:
        return None
    who.require_path(request.url.path)  # a sales token: the scorecards only (403 page elsewhere)
    return who


ViewerDep = Annotated[Principal | None, Depends(console_principal)]


def render(request: Request, name: str, who: Principal | None, status: int = 200, **context: Any) -> Response:
    if who is None:
        return RedirectResponse("/login", status_code=303)
    context = {"who": who, "status_code": status, **context}
    return templates.TemplateResponse(request, name, context, status_code=status)


def render_part(request: Request, name: str, who: Principal | None, **context: Any) -> Response:
    """A page's live part alone (`static/live.js` swaps it in): the template the page includes."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    return HTMLResponse(templates.get_template(name).render(request=request, who=who, **context))


def shown(request: Request, who: Principal | None, page: Callable[[Principal], Response]) -> Response:
    """Sign-in first; a refusal or a missing record is the console's error page with its status."""
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        return page(who)
    except FleetopsError as exc:
        return render(request, "error.html", who, status=exc.status, error=exc.message)


def find_or_page(
    request: Request, db: Session, who: Principal, kind: str, key: str, url: str
) -> dict[str, Any] | Response:
    """The record `key` names, or the 404 page; a numeric id (an old link, a log line) redirects (301) to
    `url` with the record's natural key, so every record has one address."""
    try:
        found = inventory.find(db, who, KINDS[kind], key)
    except NotFound as exc:
        return render(request, "error.html", who, status=404, error=exc.message, search=key)
    natural = found[KINDS[kind].key[-1]]
    return found if natural == key else RedirectResponse(url.format(quote(natural)), status_code=301)


def back_to(request: Request, default: str) -> str:
    """Where a form posted from (its page, with its filters), when that is this console; else `default`."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/"):
        return default
    return referer.path + (f"?{referer.query}" if referer.query else "")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"who": None, "error": None})


@router.post("/login")
def login(request: Request, db: SessionDep, token: Annotated[str, Form()]) -> Response:
    try:
        authenticate(db, token.strip())
    except Unauthenticated as exc:
        return templates.TemplateResponse(request, "login.html", {"who": None, "error": exc.message}, 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", max_age=12 * 3600)
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
