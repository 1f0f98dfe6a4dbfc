"""Vendor ASN and delivery files (CSV, JSON) read through the vendor's field mapping into fleetops' fields.

Every refusal names the file, the line (CSV) or record (JSON), and the field, so the sender can fix it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from fleetops.backends.settings import VendorFeed
from fleetops.errors import InvalidInput
from fleetops.wire import check_depth

# fleetops' own field names, per feed: what each kind of row may carry, and what it must.
FIELDS = {
    "asn": ("asn", "po", "serial", "model", "kind", "shipped_at"),
    "delivery": ("serial", "po", "asn", "site", "delivered_at"),
}
REQUIRED = {"asn": ("asn", "po", "serial", "shipped_at"), "delivery": ("serial", "delivered_at")}
IDENTITY = VendorFeed(fields={})  # a sender using fleetops' own names (the HTTP endpoint's default)


@dataclass(frozen=True)
class Row:
    """One record in fleetops' field names, and where it came from."""

    source: str
    where: str  # "line 4" or "record 4"
    values: dict[str, str]
    columns: Mapping[str, str]  # fleetops field → the sender's column, to name it as they wrote it

    def at(self, field: str) -> str:
        return f"{self.source} {self.where}: field {self.columns.get(field, field)}"

    def get(self, field: str) -> str | None:
        return self.values.get(field) or None

    def date(self, field: str, mapping: VendorFeed) -> datetime:
        text = self.values[field]
        try:
            if mapping.date_format:
                value = datetime.strptime(text, mapping.date_format)
            else:
                value = datetime.fromisoformat(text)
        except ValueError:
            expected = mapping.date_format or "ISO 8601"
            raise InvalidInput(f"{self.at(field)}: {text!r} is not a date ({expected})") from None
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
            raise InvalidInput(f"{self.at(field)}: {text!r} has no UTC equivalent") from None


def _translate(feed: str, mapping: VendorFeed, source: str, where: str, record: Mapping[str, object]) -> Row:
    ours = {theirs: mine for mine, theirs in mapping.fields.items()}
    values: dict[str, str] = {}
    for column, value in record.items():
        field = ours.get(column, column if not mapping.fields else None)
        if field is None or field not in FIELDS[feed]:
            known = ", ".join(sorted(mapping.fields.values() or FIELDS[feed]))
            raise InvalidInput(
                f"{source} {where}: field {column}: not in the {feed} mapping (known: {known})"
            )
        values[field] = "" if value is None else str(value).strip()
    row = Row(source, where, values, mapping.fields)
    for field in REQUIRED[feed]:
        if not row.get(field):
            raise InvalidInput(f"{row.at(field)}: missing")
    return row


def read(text: str, fmt: str, feed: str, mapping: VendorFeed, source: str) -> list[Row]:
    """Every record of a CSV or JSON file, in fleetops' names; the first bad one refuses the whole file."""
    if feed not in FIELDS:
        raise InvalidInput(f"feed {feed!r}: one of {', '.join(FIELDS)}")
    if fmt == "csv":
        return [
            _translate(feed, mapping, source, where, record) for where, record in csv_records(text, source)
        ]
    if fmt == "json":
        # json recurses: 100,000 nested `[` raised RecursionError (a 500 on the HTTP endpoint)
        check_depth(text.encode("utf-8", "surrogatepass"), source)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"{source}: malformed JSON: {exc}") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InvalidInput(f"{source}: expected a JSON list of records")
        return [_translate(feed, mapping, source, f"record {n}", r) for n, r in enumerate(data, start=1)]
    raise InvalidInput(f"{source}: unknown format {fmt!r}: use csv or json")


_SURPLUS = "\0surplus"  # DictReader's key for values past the header: no column is named this


def csv_records(text: str, source: str) -> Iterator[tuple[str, Mapping[str, object]]]:
    """Rows by line; a row longer than the header, or text the csv module cannot split, is refused."""
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=_SURPLUS)
    try:
        for line, record in enumerate(reader, start=2):
            if _SURPLUS in record:
                width = len(reader.fieldnames or ())
                raise InvalidInput(
                    f"{source} line {line}: {width + len(record[_SURPLUS])} values for {width} columns"
                )
            yield f"line {line}", record
    except csv.Error as exc:
        raise InvalidInput(f"{source} line {reader.line_num}: malformed CSV: {exc}") from None


def read_records(records: list[dict[str, object]], feed: str, mapping: VendorFeed, source: str) -> list[Row]:
    """Records posted to the HTTP endpoint: the same checks as a JSON file."""
    return read(json.dumps(records), "json", feed, mapping, source)
