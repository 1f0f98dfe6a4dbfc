"""Every success answer of the API has a declared shape in the OpenAPI document: the fuzz
(`tests/api/fuzz`) checks answers against the document, and an untyped `{}` or free-form object checks
nothing. A route that returns `dict[str, Any]` without a response model is caught here."""

from __future__ import annotations

from typing import Any

from fleetops.api.app import create_app


def untyped(schema: dict[str, Any] | None) -> bool:
    """True for a schema that says nothing of the answer's fields: none, `{}`, an object with no
    properties whose values may be anything, or a list of such."""
    if not schema:
        return True
    if any(key in schema for key in ("$ref", "anyOf", "oneOf", "allOf")):
        return False
    if schema.get("type") == "array":
        return untyped(schema.get("items"))
    if schema.get("type", "object") == "object":
        extra = schema.get("additionalProperties", True)
        return not schema.get("properties") and extra in (True, {})
    return False  # text, a number: a file or a scalar, typed as such


def untyped_answers(document: dict[str, Any]) -> list[str]:
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                for media, body in (answer.get("content") or {}).items():
                    if status.startswith("2") and untyped(body.get("schema")):
                        found.append(f"{method.upper()} {path} {status} {media}")
    return found


def test_every_success_answer_has_a_declared_shape() -> None:
    document = create_app().openapi()
    assert len(document["paths"]) > 100, "the document lost its paths"
    assert untyped_answers(document) == []


def test_the_check_catches_a_route_that_returns_a_bare_dict() -> None:
    app = create_app()

    @app.get("/api/v1/untyped-probe")
    def probe() -> dict[str, Any]:
        return {}

    @app.get("/api/v1/untyped-list-probe")
    def probe_list() -> list[dict[str, Any]]:
        return []

    assert untyped_answers(app.openapi()) == [
        "GET /api/v1/untyped-probe 200 application/json",
        "GET /api/v1/untyped-list-probe 200 application/json",
    ]
