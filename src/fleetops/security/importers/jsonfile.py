"""Reading a scanner's JSON: a parse error names its line and column, a wrong shape its JSON pointer."""

from __future__ import annotations

import json
from typing import Any

from fleetops.security.parsed import ImportRefused


def load(data: bytes, filename: str) -> Any:
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise ImportRefused(filename, f"byte {exc.start}", "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise ImportRefused(filename, where, f"not JSON or truncated ({exc.msg})") from None


def pointer(*parts: object) -> str:
    """An RFC 6901 JSON pointer to the field at fault."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def expect(value: Any, kind: type | tuple[type, ...], filename: str, *where: object) -> Any:
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        wanted = names.replace("dict", "an object").replace("list", "a list").replace("str", "a string")
        raise ImportRefused(filename, pointer(*where), f"expected {wanted}, got {type(value).__name__}")
    return value


def listed(value: Any, filename: str, *where: object) -> list[Any]:
    """A list that the scanner may also write as null or leave out (Trivy's `Vulnerabilities`)."""
    return [] if value is None else expect(value, list, filename, *where)
