"""The verdict of one readiness item, with its label and console colour."""

from __future__ import annotations

from fleetops.choices import Choice


class Verdict(Choice):
    PASS = "pass", "Pass", "green"
    FAIL = "fail", "Fail", "red"
    UNKNOWN = "unknown", "Unknown", "grey"  # the records cannot say either way; never counted as a pass
