"""JSON pointers (RFC 6901): naming where settings failed, and moving values when an add-on upgrades."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MISSING = object()


def pointer_of(path: Iterable[Any]) -> str:
    """`["modules", "janitor"]` → `/modules/janitor`; the empty path is the whole document, `/`."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "/"


def parts_of(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"{pointer!r} is not a JSON pointer (it must start with /)")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _walk(document: dict[str, Any], parts: list[str]) -> Any:
    node: Any = document
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def get(document: dict[str, Any], pointer: str) -> Any:
    return _walk(document, parts_of(pointer))


def pop(document: dict[str, Any], pointer: str) -> Any:
    *parents, last = parts_of(pointer)
    node = _walk(document, parents)
    return node.pop(last, MISSING) if isinstance(node, dict) else MISSING


def put(document: dict[str, Any], pointer: str, value: Any) -> None:
    *parents, last = parts_of(pointer)
    node = document
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
