"""Histograms drawn from rows at scrape time, for every domain's `/metrics` collector.

A latency that a row records (opened → notified, detected → back in service) is observed by whichever
process wrote the row, often a worker that serves no `/metrics`; counting the rows into buckets at scrape
time gives the same histogram from any API process, and it survives restarts.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from prometheus_client.core import HistogramMetricFamily


def add_observations(
    family: HistogramMetricFamily, labels: list[str], values: Iterable[float], bounds: tuple[float, ...]
) -> None:
    """Add one labelled histogram of `values` (seconds...) with upper bounds `bounds` to `family`."""
    counts = [0.0] * (len(bounds) + 1)
    total = 0.0
    for value in values:
        counts[bisect_left(bounds, value)] += 1
        total += value
    family.add_metric(labels, cumulative(counts, bounds), sum_value=total)


def cumulative(counts: list[float], bounds: tuple[float, ...]) -> list[tuple[str, float]]:
    """Per-bucket counts (the last one above every bound) as Prometheus' cumulative `le` buckets."""
    out, running = [], 0.0
    for bound, count in zip([*(str(b) for b in bounds), "+Inf"], counts, strict=True):
        running += count
        out.append((bound, running))
    return out
