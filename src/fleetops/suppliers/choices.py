"""Ratings and trends of a scorecard metric, with their labels and console colours."""

from __future__ import annotations

from fleetops.choices import Choice


class Rating(Choice):
    GREEN = "green", "Green", "green"
    YELLOW = "yellow", "Yellow", "yellow"
    RED = "red", "Red", "red"
    NO_DATA = "no_data", "No data", "grey"


class Trend(Choice):
    BETTER = "better", "Better", "green"
    SAME = "same", "Same", "grey"
    WORSE = "worse", "Worse", "red"
    NEW = "new", "No earlier figure", "grey"
