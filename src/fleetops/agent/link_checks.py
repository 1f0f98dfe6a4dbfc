"""Network link findings from two sysfs readings: a link that flapped, or whose error counters rose.

Counters only grow, so the rise between cycles is the signal. A rise is reported for `hold_s` after it (15
minutes by default, Prometheus's `increase(...[15m]) > 0`): a link that flaps every few minutes is one
open finding, not an alert that opens and resolves every 30 s, and a link that stops misbehaving resolves
by itself. A counter that went down (reset by `perfquery -R`, or a port that re-registered) starts a new
baseline, never a finding. What the finding means and whose it is comes from the link catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fleetops.agent.collectors.links import LinkReading
from fleetops.catalog.links import LinkEntry
from fleetops.wire import Finding, FindingKind

HOLD_S = 900.0


@dataclass(slots=True)
class LinkState:
    """Per link: the last counters read, and per finding kind when its counters last rose and by how much."""

    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    rises: dict[tuple[str, FindingKind], tuple[float, dict[str, int]]] = field(default_factory=dict)


def _rises(before: dict[str, int], now: dict[str, int], names: tuple[str, ...]) -> dict[str, int]:
    return {n: now[n] - before[n] for n in names if n in now and n in before and now[n] > before[n]}


def _finding(entry: LinkEntry, link: LinkReading, rose: dict[str, int], ago_s: float) -> Finding:
    said = ", ".join(f"{name} +{by}" for name, by in sorted(rose.items()))
    return Finding(
        kind=entry.kind,
        severity=entry.severity,
        action=entry.action,
        owner=entry.owner,
        summary=f"{entry.title} on {link.fabric} {link.name} ({link.state}): {said} "
        f"{ago_s:.0f} s ago; {entry.meaning}"[:2000],
        details={"link": link.name, "fabric": link.fabric, "state": link.state, **rose},
    )


def check_network_links(
    links: list[LinkReading],
    catalog: dict[FindingKind, LinkEntry],
    state: LinkState,
    now: float,
    hold_s: float = HOLD_S,
) -> list[Finding]:
    """Every link's findings this cycle; `now` is a monotonic clock reading in seconds."""
    found = []
    for link in links:
        before = state.counters.get(link.name)
        state.counters[link.name] = link.counters
        for entry in catalog.values():
            names = entry.infiniband if link.fabric == "infiniband" else entry.ethernet
            rose = _rises(before, link.counters, names) if before is not None else {}
            key = (link.name, entry.kind)
            if rose:
                state.rises[key] = (now, rose)
            last = state.rises.get(key)
            if last is not None and now - last[0] <= hold_s:
                found.append(_finding(entry, link, last[1], now - last[0]))
            elif last is not None:
                del state.rises[key]
    return found
