"""What a console chart draws: time on x, one or more named series on y, as the JSON `charts.js` reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: Sequence[float | None]
    colour: str = "blue"  # a Choice colour name (green, red, orange, blue, grey, yellow) or a CSS colour


@dataclass(frozen=True, slots=True)
class Chart:
    """Buckets (`x`, their start times) and the series over them; `bars` for counts per bucket."""

    x: list[datetime]
    series: list[Series] = field(default_factory=list)
    unit: str = ""
    bars: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "x": [int(t.timestamp()) for t in self.x],
            "series": [{"label": s.label, "values": list(s.values), "colour": s.colour} for s in self.series],
            "unit": self.unit,
            "bars": self.bars,
        }
