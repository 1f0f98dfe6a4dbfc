"""RFC 9457 problem details: every error the API returns has this one shape."""

from __future__ import annotations

import logging

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import Send

from fleetops.errors import FleetopsError

log = logging.getLogger("fleetops.api")
MEDIA_TYPE = "application/problem+json"


def problem_body(
    status: int, title: str, detail: str, code: str, instance: str, **extra: object
) -> dict[str, object]:
    return {
        "type": f"https://fleetops.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        **extra,
    }


def _framing(status: int) -> tuple[str, dict[str, str]]:
    """A JSON answer's media type and extra headers: problem+json (and the Bearer challenge on a 401) when
    `status` is an error."""
    if status < 400:
        return "application/json", {}
    return MEDIA_TYPE, {"WWW-Authenticate": "Bearer"} if status == 401 else {}


def respond(status: int, body: dict[str, object]) -> JSONResponse:
    media_type, headers = _framing(status)
    return JSONResponse(body, status_code=status, media_type=media_type, headers=headers)


async def send_json(send: Send, status: int, body: dict[str, object]) -> None:
    """The answer `respond` makes, written straight to ASGI `send` and encoded by msgspec: for the report
    POST, answered outside FastAPI's stack (fleetops.api.app.App)."""
    media_type, headers = _framing(status)
    content = msgspec.json.encode(body)
    raw = [(b"content-type", media_type.encode()), (b"content-length", str(len(content)).encode())]
    raw += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


def problem(status: int, title: str, detail: str, code: str, instance: str, **extra: object) -> JSONResponse:
    return respond(status, problem_body(status, title, detail, code, instance, **extra))


def _validation_detail(exc: RequestValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return f"field {where}: {first.get('msg', 'invalid')}"


def domain_problem_body(exc: FleetopsError, path: str) -> dict[str, object]:
    if exc.status >= 500:
        log.error("request failed", extra={"path": path, "error": exc.message})
    return problem_body(exc.status, exc.title, exc.message, exc.code, path, retryable=exc.retryable)


def install(app: FastAPI) -> None:
    @app.exception_handler(FleetopsError)
    async def _domain(request: Request, exc: FleetopsError) -> JSONResponse:
        return respond(exc.status, domain_problem_body(exc, request.url.path))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, "Invalid input", _validation_detail(exc), "invalid_input", request.url.path)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(
            exc.status_code, str(exc.detail), str(exc.detail), f"http_{exc.status_code}", request.url.path
        )
