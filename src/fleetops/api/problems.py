"""RFC 9457 problem details: every error the API returns has this one shape, and the OpenAPI document
says so (a `Problem` schema that every operation's error answers refer to)."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.types import Send

from fleetops.errors import FleetopsError

log = logging.getLogger("fleetops.api")
MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail", "instance", "code"],
    "properties": {
        "type": {"type": "string", "description": "https://fleetops.dev/problems/{code}"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "what was refused, naming the record and the field"},
        "instance": {"type": "string", "description": "the request's path"},
        "code": {"type": "string", "description": "stable and machine-readable (fleetops.errors)"},
        "retryable": {"type": "boolean", "description": "whether sending the same request again may help"},
    },
}
# What any operation may answer besides its success: the statuses of the fleetops.errors tree, and 400 for
# a body the framework could not read at all (malformed multipart).
ERRORS = {
    400: "The request could not be read",
    401: "No API token, or one that does not match",
    403: "The token's role may not do this",
    404: "No such record, or one the token may not see",
    409: "A conflict with the record's state or a unique key",
    422: "A field is malformed; `detail` names it",
    500: "The server failed (logged)",
    502: "An external system failed",
    503: "No backend is configured for this work",
}


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


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Every operation's error answers, documented as problem+json with the one `Problem` schema (in place of
    FastAPI's `HTTPValidationError`, a shape the API never sends)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(str(status), {"description": description})
            for status, answer in responses.items():
                if status[0] in "45":
                    answer["content"] = content
    return schema


def _install_document(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    _install_document(app)

    @app.exception_handler(FleetopsError)
    async def _domain(request: Request, exc: FleetopsError) -> JSONResponse:
        return respond(exc.status, domain_problem_body(exc, request.url.path))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, "Invalid input", _validation_detail(exc), "invalid_input", request.url.path)

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        """The last guard behind the checks where values enter (api.types, deps.storable_text): a value the
        database refuses for its column is the caller's, answered 422 (the transaction rolled back)."""
        detail = (
            "a value is outside what its database column holds (a number too large, text it cannot store)"
        )
        return problem(422, "Invalid input", detail, "invalid_input", request.url.path)

    @app.exception_handler(Exception)
    async def _failed(request: Request, exc: Exception) -> JSONResponse:
        """Any other failure is a bug: answered as problem+json like every error (the server logs the
        traceback, re-raised by Starlette), not retryable, since the same request would fail the same way."""
        detail = "the server failed while answering; the error is logged"
        return problem(500, "Internal error", detail, "internal_error", request.url.path, retryable=False)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(
            exc.status_code, str(exc.detail), str(exc.detail), f"http_{exc.status_code}", request.url.path
        )
