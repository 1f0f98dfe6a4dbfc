"""Each key result per week over the last quarter, with its target as a line: the goals' history.

A week's value is the key result's reader over the seven days ending that week (the same readers as the
scorecard, which honour their window), so a past week reads the records of that week, not today's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.principal import Principal
from fleetops.okr.keyresults import KeyResult, default_key_results
from fleetops.okr.sources import READERS, Window
from fleetops.web.charts import Chart, Series

WEEKS = 13  # a quarter
# Units shown another way on a chart than in the data (divisor, label): seconds read better as minutes,
# and a long unit would not fit beside "1000" in the y axis.
SCALES = {"s": (60.0, "min"), "GPUs/h": (1.0, "/h")}


def weekly(session: Session, kr: KeyResult, windows: list[Window]) -> list[float | None]:
    return [READERS[kr.source](session, window).value for window in windows]


def _chart(kr: KeyResult, starts: list[datetime], values: list[float | None]) -> Chart:
    divide, unit = SCALES.get(kr.unit, (1.0, kr.unit))
    shown = [None if v is None else round(v / divide, 2) for v in values]
    target = [round(kr.target / divide, 2)] * len(starts)
    lines = [Series("Value", shown, "blue"), Series("Target", target, "grey")]
    return Chart(x=starts, series=lines, unit=unit)


def history(session: Session, principal: Principal, weeks: int = WEEKS) -> list[tuple[KeyResult, Chart]]:
    """Each key result's chart: one point per week (its start on x), oldest first. Staff only."""
    principal.require_staff()
    now = clock.now()
    ends = [now - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    starts = [end - timedelta(days=7) for end in ends]
    shared: dict = {}
    windows = [Window(end, 7, shared) for end in ends]
    return [(kr, _chart(kr, starts, weekly(session, kr, windows))) for kr in default_key_results()]
