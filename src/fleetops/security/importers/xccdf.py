"""OpenSCAP results: an XCCDF 1.2 results file (`oscap xccdf eval --results`) or an ARF report
(`--results-arf`), both holding one `TestResult` with a `rule-result` per rule.

A `fail` is a finding at the rule's own severity; `pass` and `fail` (and `fixed`, a pass after
remediation) are the profile's applicable rules, the hardening score's denominator. `notapplicable`,
`notselected`, `notchecked` and `informational` count for neither. XML is read by expat, which resolves
no external entities and (2.4+) refuses entity expansion bombs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fleetops.security.choices import Scanner, Severity
from fleetops.security.parsed import ImportRefused, Item, Report, text

XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"
ARF = "{http://scap.nist.gov/schema/asset-reporting-format/1.1}"
ROOTS = {
    f"{XCCDF}Benchmark": "/Benchmark",
    f"{XCCDF}TestResult": "",
    f"{ARF}asset-report-collection": "/asset-report-collection/reports/report/content",
}
PASSING = {"pass", "fixed"}
NEITHER = {"notapplicable", "notselected", "notchecked", "informational", "error", "unknown"}


def parse(data: bytes, filename: str) -> Report:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise ImportRefused(
            filename, f"line {line} column {column}", f"not XML or truncated ({exc})"
        ) from None
    except (LookupError, ValueError) as exc:  # the declaration names an encoding expat cannot read
        raise ImportRefused(filename, "line 1", f"XML declaration: {exc}") from None
    if root.tag not in ROOTS:
        why = f"root element {root.tag} is not an XCCDF 1.2 Benchmark or TestResult, nor an ARF collection"
        raise ImportRefused(filename, "/", why)
    base = ROOTS[root.tag]
    results = [root] if root.tag == f"{XCCDF}TestResult" else list(root.iter(f"{XCCDF}TestResult"))
    if not results:
        raise ImportRefused(filename, f"{base}/TestResult", "no TestResult: not a results file")
    result, at = results[-1], f"{base}/TestResult"
    titles = {rule.get("id"): rule.findtext(f"{XCCDF}title") for rule in root.iter(f"{XCCDF}Rule")}
    profile = result.find(f"{XCCDF}profile")
    report = Report(Scanner.OPENSCAP, rules_pass=0, rules_applicable=0, host_where=f"{at}/target")
    report.host = (result.findtext(f"{XCCDF}target") or "").strip() or None
    report.profile = profile.get("idref") if profile is not None else None
    for index, rule in enumerate(result.iter(f"{XCCDF}rule-result"), start=1):
        _count(report, rule, titles, filename, f"{at}/rule-result[{index}]")
    return report


def _count(
    report: Report, rule: ET.Element, titles: dict[str | None, str | None], filename: str, at: str
) -> None:
    idref = rule.get("idref")
    if not idref:
        raise ImportRefused(filename, f"{at}/@idref", "a rule-result without the rule it reports")
    verdict = (rule.findtext(f"{XCCDF}result") or "").strip()
    if verdict not in PASSING | NEITHER | {"fail"}:
        raise ImportRefused(filename, f"{at}/result", f"result {verdict!r} is not an XCCDF 1.2 result")
    if verdict in NEITHER:
        return
    report.rules_applicable = (report.rules_applicable or 0) + 1
    if verdict in PASSING:
        report.rules_pass = (report.rules_pass or 0) + 1
        return
    title = titles.get(idref) or idref
    report.add(
        Item(check_id=text(idref, 200), title=text(title, 500), severity=Severity.read(rule.get("severity")))
    )
