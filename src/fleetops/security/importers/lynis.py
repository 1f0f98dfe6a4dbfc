"""Lynis's `report.dat` (`lynis audit system --report-file`): `key=value` lines, lists as `key[]=`.

`warning[]` lines are Medium findings, `suggestion[]` lines Low ones, each `TEST-ID|text|details|solution|`;
the details (a file, a package), or without details the text, tell apart two findings of one test. A
file without the closing `report_datetime_end` was cut short and is refused whole rather than read as
"fewer warnings". `linux_kernel_release` (uname -r) is the node's kernel for the software inventory.
"""

from __future__ import annotations

from fleetops.security.choices import Scanner, Severity
from fleetops.security.parsed import ImportRefused, Item, Report, text

MAJOR_VERSIONS = {"1"}
LISTS = {"warning[]": Severity.MEDIUM, "suggestion[]": Severity.LOW}


def parse(data: bytes, filename: str) -> Report:
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ImportRefused(filename, f"byte {exc.start}", "not UTF-8 text") from None
    report, seen = Report(Scanner.LYNIS), dict[str, int]()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        if not equals:
            raise ImportRefused(filename, f"line {number}", "expected key=value")
        seen.setdefault(key, number)
        if key == "hostname":
            report.host, report.host_where = value.strip() or None, f"line {number} (hostname)"
        elif key == "linux_kernel_release":
            report.kernel = value.strip()[:200] or None
        elif key in LISTS:
            report.add(_item(value, LISTS[key], filename, number))
    version = next(
        (line.partition("=")[2] for line in lines if line.startswith("report_version_major=")), None
    )
    if version is None:
        raise ImportRefused(filename, "report_version_major", "missing: not a Lynis report.dat")
    if version not in MAJOR_VERSIONS:
        where = f"line {seen['report_version_major']} (report_version_major)"
        raise ImportRefused(filename, where, f"report version {version} is not one this importer reads (1)")
    if "report_datetime_end" not in seen:
        raise ImportRefused(filename, f"line {len(lines)}", "truncated: no report_datetime_end line")
    return report


def _item(value: str, severity: Severity, filename: str, number: int) -> Item:
    test, _, rest = value.partition("|")
    title, _, rest = rest.partition("|")
    details = rest.partition("|")[0]
    if not test or not title:
        raise ImportRefused(filename, f"line {number}", "expected TEST-ID|text|details|solution|")
    return Item(
        check_id=text(test, 200),
        title=text(title, 500),
        severity=severity,
        package=text(title if details in ("", "-") else details, 200),
    )
