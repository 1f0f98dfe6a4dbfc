"""The goals' scorecard: each key result's current value over a window, met or not, and its records."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.principal import Principal
from fleetops.okr.keyresults import KeyResult, default_key_results
from fleetops.okr.sources import READERS, Figure, Window
from fleetops.suppliers.choices import Rating

DEFAULT_DAYS = 30.0


@dataclass(frozen=True)
class Row:
    key_result: KeyResult
    figure: Figure

    @property
    def status(self) -> Rating:
        """Green when the target is met, red when not, no data when nothing was measured yet."""
        if self.figure.value is None:
            return Rating.NO_DATA
        return Rating.GREEN if self.key_result.met(self.figure.value) else Rating.RED


def scorecard(session: Session, principal: Principal, days: float = DEFAULT_DAYS) -> list[Row]:
    """Leadership's view of the whole fleet: staff only."""
    principal.require_staff()
    window = Window(clock.now(), days, shared={})
    return [Row(kr, READERS[kr.source](session, window)) for kr in default_key_results()]


def as_dict(row: Row) -> dict:
    return row.key_result.model_dump() | {
        "value": row.figure.value,
        "records": row.figure.records,
        "status": row.status.value,
    }
