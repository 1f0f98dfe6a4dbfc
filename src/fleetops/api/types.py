"""The bounded number types every route takes, in its path or its query (`run_id: Id`,
`cursor: Cursor | None = None`, `days: Days = 30`), so a number outside what the code below can use is
refused with 422 where it enters: an id past the database's INTEGER range failed in the driver with a
500 (`/api/v1/remediation/runs/2147483648`), a window of 1e-296 days divided by zero (`/api/v1/okr`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from fleetops.db.ids import ID_MAX

Id = Annotated[int, Field(ge=1, le=ID_MAX)]
"""A record's id, or any other number a column compares with (an XID code, a position)."""
Cursor = Annotated[int, Field(ge=0, le=ID_MAX, description="`next_cursor` from the previous page")]
"""Where a page starts: 0, or the id of the last record of the previous page."""
Days = Annotated[float, Field(ge=0.01, le=366, description="The window in days (0.01 to 366)")]
"""A reporting window: long enough to divide by, at most a year (periods compare with the one before)."""
