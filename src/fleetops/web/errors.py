"""Friendly HTML for a person who opens a console address that does not exist (or a malformed one, such
as `/incidents/abc`): the console's error page with a search box, where the API answers problem+json."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from fleetops.web.views import templates

NOT_CONSOLE = ("/api/", "/static/", "/metrics", "/openapi.json", "/docs", "/redoc", "/healthz", "/readyz")


def wants_page(request: Request) -> bool:
    path = request.url.path
    return (
        request.method == "GET"
        and not path.startswith(NOT_CONSOLE)
        and "text/html" in request.headers.get("accept", "")
    )


def _page(request: Request, error: str) -> Response:
    context = {"who": None, "status_code": 404, "error": error, "search": request.url.path.rsplit("/", 1)[-1]}
    return templates.TemplateResponse(request, "error.html", context, status_code=404)


async def _answer(answer: Response | Awaitable[Response]) -> Response:
    """A registered handler's answer, whether the handler was a plain or an async function."""
    return await answer if inspect.isawaitable(answer) else answer


def install(app: FastAPI) -> None:
    """After `problems.install`: a console page gets HTML, anything else the problem+json it had."""
    api_not_found = app.exception_handlers[HTTPException]
    api_invalid = app.exception_handlers[RequestValidationError]

    async def not_found(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 404 and wants_page(request):
            return _page(request, f"{request.url.path}: there is no such page")
        return await _answer(api_not_found(request, exc))

    async def invalid(request: Request, exc: Exception) -> Response:
        if wants_page(request):
            return _page(request, f"{request.url.path}: there is no such page")
        return await _answer(api_invalid(request, exc))

    app.add_exception_handler(HTTPException, not_found)
    app.add_exception_handler(RequestValidationError, invalid)
