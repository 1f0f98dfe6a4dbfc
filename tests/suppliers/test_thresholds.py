"""Thresholds at their edges, and a broken thresholds file named by file, line and field."""

from __future__ import annotations

import pytest

from fleetops.errors import InvalidInput
from fleetops.suppliers.choices import Rating
from fleetops.suppliers.thresholds import METRICS, default_thresholds, parse_thresholds


@pytest.mark.parametrize(
    ("metric", "value", "rating"),
    [
        ("uptime_pct", 99.5, Rating.GREEN),  # on the green bound: green
        ("uptime_pct", 99.4999, Rating.YELLOW),
        ("uptime_pct", 99.0, Rating.YELLOW),  # on the yellow bound: yellow
        ("uptime_pct", 98.9999, Rating.RED),
        ("response_s", 900, Rating.GREEN),
        ("response_s", 900.001, Rating.YELLOW),
        ("response_s", 3600, Rating.YELLOW),
        ("response_s", 3600.001, Rating.RED),
        ("rma_per_1000_gpu_days", 0.5, Rating.GREEN),
        ("rma_per_1000_gpu_days", 1.0, Rating.YELLOW),
        ("rma_per_1000_gpu_days", 1.01, Rating.RED),
        ("deploy_success_pct", None, Rating.NO_DATA),
    ],
)
def test_ratings_at_the_edges(metric, value, rating):
    assert default_thresholds()[metric].rate(value) is rating


def test_every_metric_has_thresholds():
    assert list(default_thresholds().by_metric) == list(METRICS)


GOOD = "".join(f"{m}: {{label: x, unit: s, better: lower, green: 1, yellow: 2}}\n" for m in METRICS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("green: 1,", "green: 3,", 1),
            "t.yaml:1: uptime_pct: field bounds: Value error, green 3.0",
        ),
        (GOOD.replace("better: lower", "better: up", 1), "t.yaml:1: uptime_pct: field better"),
        (GOOD + "uptime_pct: {}\n", "t.yaml:8: uptime_pct: given twice"),
        (GOOD + "speed: {}\n", "t.yaml:8: speed: unknown metric"),
        (GOOD.split("\n", 1)[1], "t.yaml: missing thresholds for uptime_pct"),
        ("- a\n", "t.yaml: expected a mapping"),
    ],
)
def test_a_broken_file_is_named_by_line_and_field(text, message):
    assert parse_thresholds(GOOD, "t.yaml")["uptime_pct"].green == 1
    with pytest.raises(InvalidInput) as caught:
        parse_thresholds(text, "t.yaml")
    assert caught.value.message.startswith(message), caught.value.message
