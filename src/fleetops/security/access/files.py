"""One way to refuse an input file: its name, the JSON pointer (or line) of the mistake, and why."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from fleetops.errors import InvalidInput
from fleetops.security.access.hujson import pointer


def refuse(file: str, where: str, message: str) -> InvalidInput:
    return InvalidInput(f"{file}: {where}: {message}", file=file, pointer=where)


def refuse_invalid(file: str, exc: ValidationError, prefix: Sequence[str | int] = ()) -> InvalidInput:
    """A pydantic error as the first failing field's pointer, e.g. `/acls/3/src: Input should be...`."""
    first = exc.errors()[0]
    return refuse(file, pointer([*prefix, *first["loc"]]), first["msg"])
