"""SLA timers as data (`sla.yaml`, checked at load) and their evaluation: every timer on every subject,
with the time used and whether it is breached."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy.orm import Session

from fleetops.assets.clocks import CLOCKS, Tick
from fleetops.errors import InvalidInput
from fleetops.wire import FaultOwner

TIMERS = Path(__file__).with_name("sla.yaml")
UNITS = {"m": 60, "h": 3600, "d": 86400}


class Timer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    what: str
    clock: str
    limit: timedelta
    strict: bool = False  # "under 7 days": reaching the limit is already a breach
    team: str
    owner: str

    @field_validator("limit", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        match = re.fullmatch(r"(\d+)([mhd])", str(value))
        if not match:
            raise ValueError(f"{value!r}: a duration such as 30m, 24h or 7d")
        return timedelta(seconds=int(match[1]) * UNITS[match[2]])

    @field_validator("clock")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CLOCKS:
            raise ValueError(f"{value!r}: one of {', '.join(CLOCKS)}")
        return value

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if FaultOwner.read(value).label != value:
            raise ValueError(f"{value!r}: an alert owner ({', '.join(o.label for o in FaultOwner)})")
        return value

    def breached(self, used: timedelta) -> bool:
        return used >= self.limit if self.strict else used > self.limit


class Timers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timers: list[Timer]


def load(path: Path = TIMERS) -> list[Timer]:
    try:
        return Timers.model_validate(yaml.safe_load(path.read_text())).timers
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(f"{path}: field {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


@lru_cache(maxsize=1)
def default_timers() -> tuple[Timer, ...]:
    return tuple(load())


@dataclass(frozen=True)
class Reading:
    timer: Timer
    tick: Tick
    used: timedelta
    breached: bool

    @property
    def due_at(self) -> datetime:
        return self.tick.started_at + self.timer.limit


def evaluate(session: Session, now: datetime, timers: tuple[Timer, ...] | None = None) -> list[Reading]:
    """Every timer on every subject: time used so far (or in all, once stopped) and whether breached."""
    readings = []
    for timer in timers or default_timers():
        for tick in CLOCKS[timer.clock](session):
            used = (tick.stopped_at or now) - tick.started_at
            readings.append(Reading(timer, tick, used, timer.breached(used)))
    return readings
