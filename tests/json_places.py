"""Places in a JSON document, for property tests that bend a real capture at any one of them."""

from __future__ import annotations

from typing import Any


def places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document: object members and list items, the root included."""
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*at, index))
    return found


def get(document: Any, at: tuple[Any, ...]) -> Any:
    for step in at:
        document = document[step]
    return document


def replaced(document: Any, at: tuple[Any, ...], value: Any) -> Any:
    """`document` with the value at `at` replaced, in place (the root: `value` itself)."""
    if not at:
        return value
    get(document, at[:-1])[at[-1]] = value
    return document
