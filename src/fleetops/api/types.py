"""The bounded integer types every route takes, in its path or its query (`run_id: Id`,
`cursor: Cursor | None = None`), so a number outside the database's INTEGER range is refused with 422
where it enters rather than failing in the driver with a 500 (`/api/v1/remediation/runs/2147483648`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from fleetops.db.ids import ID_MAX

Id = Annotated[int, Field(ge=1, le=ID_MAX)]
"""A record's id, or any other number a column compares with (an XID code, a position)."""
Cursor = Annotated[int, Field(ge=0, le=ID_MAX, description="`next_cursor` from the previous page")]
"""Where a page starts: 0, or the id of the last record of the previous page."""
