"""kube-bench's JSON: `{"Controls": [...], "Totals": {...}}`, or the older bare list of controls.

Shapes checked against kube-bench's own test data (cmd/testdata/result.json, result_no_totals.json).
A FAIL is a High finding, a WARN (a manual check kube-bench could not decide) a Low one; PASS and FAIL
are the applicable checks of the cluster's hardening score.
"""

from __future__ import annotations

from typing import Any

from fleetops.security.choices import Scanner, Severity
from fleetops.security.importers.jsonfile import expect, listed, load, pointer
from fleetops.security.parsed import ImportRefused, Item, Report, text

FINDING = {"FAIL": Severity.HIGH, "WARN": Severity.LOW}
STATUSES = {"PASS", "FAIL", "WARN", "INFO", "SKIP", "MANU", "ERRO"}


def parse(data: bytes, filename: str) -> Report:
    document, at = load(data, filename), tuple[str, ...]()
    if isinstance(document, dict) and "Controls" in document:
        controls, at = listed(document["Controls"], filename, "Controls"), ("Controls",)
    elif isinstance(document, list):
        controls, at = document, ()
    else:
        raise ImportRefused(
            filename, "", "expected {Controls, Totals} or a list of controls (kube-bench JSON)"
        )
    report = Report(Scanner.KUBE_BENCH, rules_pass=0, rules_applicable=0)
    for c, control in enumerate(controls):
        expect(control, dict, filename, *at, c)
        for t, test in enumerate(listed(control.get("tests"), filename, *at, c, "tests")):
            expect(test, dict, filename, *at, c, "tests", t)
            results = listed(test.get("results"), filename, *at, c, "tests", t, "results")
            for r, result in enumerate(results):
                _count(report, result, filename, (*at, c, "tests", t, "results", r))
    return report


def _count(report: Report, result: Any, filename: str, at: tuple[object, ...]) -> None:
    expect(result, dict, filename, *at)
    number = expect(result.get("test_number"), str, filename, *at, "test_number")
    status = result.get("status")
    if not isinstance(status, str) or status not in STATUSES:  # a list is not hashable
        raise ImportRefused(
            filename, pointer(*at, "status"), f"status {status!r} is not one of {', '.join(sorted(STATUSES))}"
        )
    if status in ("PASS", "FAIL"):
        report.rules_applicable = (report.rules_applicable or 0) + 1
        report.rules_pass = (report.rules_pass or 0) + (status == "PASS")
    if status in FINDING:
        title = result.get("test_desc") or number
        report.add(Item(check_id=text(number, 200), title=text(title, 500), severity=FINDING[status]))
