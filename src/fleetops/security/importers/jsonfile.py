"""Reading a scanner's JSON: a parse error names its line and column, a wrong shape its JSON pointer."""

from __future__ import annotations

import json
import re
from typing import Any

from fleetops.errors import InvalidInput
from fleetops.security.parsed import ImportRefused
from fleetops.wire import MAX_DEPTH, check_depth


def load(data: bytes, filename: str) -> Any:
    try:
        check_depth(data, filename)  # json recurses: a file nested 100,000 deep raised RecursionError
        return json.loads(data)
    except InvalidInput:
        raise ImportRefused(filename, "/", f"nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError as exc:
        raise ImportRefused(filename, f"byte {exc.start}", "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise ImportRefused(filename, where, f"not JSON or truncated ({exc.msg})") from None
    except ValueError as exc:  # a number past int()'s 4,300 digits: json names no place for it
        raise ImportRefused(filename, _place(data, exc), f"not JSON fleetops can read ({exc})") from None


def _place(data: bytes, exc: ValueError) -> str:
    """Where a long number starts, as `json` would have said it: the first run of 4,300 digits."""
    at = re.search(rb"[0-9]{4300}", data)
    if at is None:
        return "/"
    start, newline = at.start(), b"\n"
    return f"line {data.count(newline, 0, start) + 1} column {start - data.rfind(newline, 0, start)}"


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
