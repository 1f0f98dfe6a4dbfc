"""A GPU's (or node's) health over a window as coloured segments, drawn as a small inline SVG strip.

Built from the `health_change` rows (who moved it from which state to which, when): the control plane
keeps conclusions, not readings, so the strip shows when the GPU was healthy, degraded or unhealthy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleetops.health.choices import HealthState


@dataclass(frozen=True, slots=True)
class Segment:
    x: float  # percent of the window
    width: float
    colour: str
    label: str


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def health_strip(
    changes: list[dict[str, Any]], current: str, start: datetime, end: datetime
) -> list[Segment]:
    """`changes` newest first (`at`, `from`, `to`), as `health.service.node_health` lists them."""
    span = (end - start).total_seconds()
    segments: list[Segment] = []
    right, state = end, current
    for change in changes:
        at = _utc(change["at"])
        if at <= start:
            break
        segments.append(_segment(max(at, start), right, change["to"], start, span))
        right, state = at, change["from"] or HealthState.UNKNOWN.value
    segments.append(_segment(start, right, state, start, span))
    return [s for s in reversed(segments) if s.width > 0]


def _segment(left: datetime, right: datetime, state: str, start: datetime, span: float) -> Segment:
    colour = HealthState(state).colour if state in HealthState._value2member_map_ else "grey"
    x = (left - start).total_seconds() / span * 100
    width = (right - left).total_seconds() / span * 100
    return Segment(
        round(x, 3), round(width, 3), colour, f"{state} from {left:%d %b %H:%M} to {right:%d %b %H:%M} UTC"
    )
