"""Vendor ASN and delivery files as they arrive: any CSV or JSON text, through fleetops' own names or a
vendor's mapping, is read with its dates or refused with one `InvalidInput` naming the file and where
(line, record, field); never another exception."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetops.assets import feeds
from fleetops.backends.settings import VendorFeed
from fleetops.errors import InvalidInput
from tests.assets.conftest import ASN_CSV, DELIVERY_CSV

DELL = VendorFeed(
    fields={
        "asn": "ShipmentNo",
        "po": "PONumber",
        "serial": "Serial Number",
        "model": "Model",
        "shipped_at": "ShipDate",
        "delivered_at": "DeliveredOn",
        "site": "Site",
    },
    date_format="%m/%d/%Y %H:%M",
)
MAPPINGS = st.sampled_from([feeds.IDENTITY, DELL, VendorFeed(fields={}, date_format="%Y-%m-%d %H:%M %z")])
DATES = ("shipped_at", "delivered_at")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
DATE_TEXT = st.one_of(
    TEXT,
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01 00:30 +0100"]),
)


def _read_or_refused(text: str, fmt: str, feed: str, mapping: VendorFeed, source: str = "feed.txt") -> None:
    """Read and, as applying them does, each row's dates; or one clear refusal."""
    try:
        for row in feeds.read(text, fmt, feed, mapping, source):
            for field in DATES:
                if row.get(field):
                    assert row.date(field, mapping).utcoffset().total_seconds() == 0
    except InvalidInput as refused:
        assert refused.message.startswith((f"{source}: ", f"{source} line ", f"{source} record "))


@SETTINGS
@given(
    text=st.text(max_size=300),
    fmt=st.sampled_from(["csv", "json"]),
    feed=st.sampled_from(["asn", "delivery"]),
)
def test_any_text_is_read_or_refused_naming_the_file(text: str, fmt: str, feed: str) -> None:
    for mapping in (feeds.IDENTITY, DELL):
        _read_or_refused(text, fmt, feed, mapping)


@SETTINGS
@given(
    feed=st.sampled_from(["asn", "delivery"]),
    mapping=MAPPINGS,
    records=st.lists(
        st.dictionaries(
            st.sampled_from([*feeds.FIELDS["asn"], "delivered_at", "site", *DELL.fields.values(), "extra"]),
            st.one_of(st.none(), st.integers(), TEXT, DATE_TEXT, st.lists(st.integers(), max_size=2)),
            max_size=7,
        ),
        max_size=4,
    ),
)
def test_any_records_in_json_or_csv_are_read_or_refused(
    feed: str, mapping: VendorFeed, records: list
) -> None:
    _read_or_refused(json.dumps(records), "json", feed, mapping)
    columns = sorted({k for r in records for k in r})
    if columns:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in records)
        _read_or_refused(out.getvalue(), "csv", feed, mapping)


@SETTINGS
@given(cut=st.integers(0, len(ASN_CSV)), junk=TEXT, where=st.integers(0, len(ASN_CSV)))
def test_a_real_vendor_file_cut_or_spliced_anywhere_is_read_or_refused(
    cut: int, junk: str, where: int
) -> None:
    for feed, text in (("asn", ASN_CSV), ("delivery", DELIVERY_CSV)):
        _read_or_refused(text[:cut], "csv", feed, DELL)
        _read_or_refused(text[:where] + junk + text[where:], "csv", feed, DELL)


@pytest.mark.parametrize("opening", ["[", '[{"a":'])
def test_json_nested_100000_deep_is_refused_naming_the_file(opening: str) -> None:
    """json recurses: this raised RecursionError (a 500 on the HTTP endpoint)."""
    with pytest.raises(InvalidInput) as refused:
        feeds.read(opening * 100_000, "json", "asn", feeds.IDENTITY, "deep.json")
    assert refused.value.message == "deep.json: JSON nested deeper than 32 levels"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_date_with_no_utc_equivalent_is_refused_naming_the_field(value: str) -> None:
    """Its UTC time is before year 1 or after 9999: astimezone raised OverflowError."""
    text = f"asn,po,serial,shipped_at\nASN-1,PO-1,SN-1,{value}\n"
    (row,) = feeds.read(text, "csv", "asn", feeds.IDENTITY, "asn.csv")
    with pytest.raises(InvalidInput) as refused:
        row.date("shipped_at", feeds.IDENTITY)
    assert refused.value.message == f"asn.csv line 2: field shipped_at: {value!r} has no UTC equivalent"


def test_a_line_with_more_values_than_columns_is_refused_naming_the_line() -> None:
    """csv.DictReader files the extra values under the column None: this said 'field None'."""
    text = "asn,po,serial,shipped_at\nASN-1,PO-1,SN-1,2026-03-02T10:00:00,surplus\n"
    with pytest.raises(InvalidInput) as refused:
        feeds.read(text, "csv", "asn", feeds.IDENTITY, "asn.csv")
    assert refused.value.message == "asn.csv line 2: 5 values for 4 columns"


def test_a_carriage_return_inside_a_csv_line_is_read_as_a_line_break() -> None:
    """The csv module raised its own Error ("new-line character seen in unquoted field"): a 500."""
    text = "asn,po,serial,shipped_at\nASN-1,PO-1,SN-1\r2026-03-02T10:00:00\n"
    with pytest.raises(InvalidInput) as refused:
        feeds.read(text, "csv", "asn", feeds.IDENTITY, "asn.csv")
    assert refused.value.message == "asn.csv line 2: field shipped_at: missing"
