"""What the OpenAPI document says of answers FastAPI cannot infer from a route's return type: a record
read straight from a SQL view (the inventory's kinds), a page of them encoded by hand for speed, and a
file offered in several formats."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import Boolean, Date, DateTime, Enum, Integer, Numeric, Select

OK = "Successful Response"
TEXT: dict[str, Any] = {"type": "string"}
# JSON Schema of a column's value as the API writes it: dates as ISO text, enums by value, a decimal as
# a number (FastAPI) or its exact text (msgspec, the list pages).
_TYPES: tuple[tuple[type, dict[str, Any]], ...] = (
    (Boolean, {"type": "boolean"}),
    (Integer, {"type": "integer"}),
    (Numeric, {"type": ["number", "string"]}),
    (DateTime, {"type": "string"}),
    (Date, {"type": "string"}),
)


def _column(column: Any) -> dict[str, Any]:
    if isinstance(column.type, Enum):
        return {"enum": [*column.type.enums, None]}
    found = next((schema for sql, schema in _TYPES if isinstance(column.type, sql)), {"type": "string"})
    return {"anyOf": [found, {"type": "null"}]}  # an outer join leaves any column empty


def record(view: Select[Any]) -> dict[str, Any]:
    """The JSON Schema of one row of `view`, every selected column a field."""
    columns = list(view.selected_columns)
    return {
        "type": "object",
        "required": [c.name for c in columns],
        "properties": {c.name: _column(c) for c in columns},
    }


def page(item: dict[str, Any]) -> dict[str, Any]:
    """A page of records: `items`, `next_cursor` (null on the last page) and `total` on a first page."""
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next_cursor": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
            "total": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
    }


def inline(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON Schema with its `$defs` written in place, for a media type FastAPI does not fill in
    itself (the inventory document offered as YAML or JSON text): a `#/$defs/...` reference would be
    read against the OpenAPI document, where nothing is."""
    schema = model.model_json_schema(mode="serialization")
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].rsplit("/", 1)[1]]) | {
                    k: resolve(v) for k, v in node.items() if k != "$ref"
                }
            return {k: resolve(v) for k, v in node.items()}
        return [resolve(v) for v in node] if isinstance(node, list) else node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def answer(schema: dict[str, Any], status: int = 200, description: str = OK) -> dict[int | str, Any]:
    """`responses=` for a route whose JSON answer has `schema`."""
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}


def files(content: dict[str, dict[str, Any]], description: str = OK) -> dict[int | str, Any]:
    """`responses=` for a route that answers a file in any of several media types, each with its schema
    (`TEXT` for a CSV, HTML or PDF; the document's shape for JSON or YAML)."""
    return {200: {"description": description, "content": {t: {"schema": s} for t, s in content.items()}}}


def declared(model: type[BaseModel], status: int = 200) -> dict[str, Any]:
    """Route options that document the answer as `model` without filtering or re-validating what the
    route returns (a dict it builds itself): `@router.get(path, **declared(NodeHealthRead))`."""
    return {"response_model": None, "responses": {status: {"model": model, "description": OK}}}
