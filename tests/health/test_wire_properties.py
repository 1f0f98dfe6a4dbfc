"""The agent report decoder (`fleetops.wire`) under hypothesis: any input is a report or an `InvalidInput`
naming what is wrong, never another exception; a valid report survives encoding and decoding unchanged."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetops.errors import InvalidInput
from fleetops.health.ingest import fast_parse, split_body
from fleetops.wire import (
    MAX_DEPTH,
    Action,
    FindingKind,
    NodeReport,
    Severity,
    check_depth,
    dump_report,
    parse_batch,
    parse_report,
)

NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12, minutes=-30))])
TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=ZONES)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
GPU = st.fixed_dictionaries(
    {"index": st.integers(0, 63)},
    optional={
        "uuid": NAMES,
        "temperature_c": st.floats(-50, 200),
        "power_w": st.floats(0, 10_000),
        "sm_clock_mhz": st.integers(0, 100_000),
        "clock_event_mask": st.integers(0, 2**63 - 1),
        "ecc": st.fixed_dictionaries({}, optional={"uncorrected_volatile": st.integers(0, 2**63 - 1)}),
        "nvlinks": st.lists(st.tuples(st.integers(0, 35), st.booleans()).map(list), max_size=4),
    },
)
REPORT = st.fixed_dictionaries(
    {"hostname": NAMES, "agent_version": NAMES, "collected_at": TIMES.map(datetime.isoformat)},
    optional={
        "gpus": st.lists(GPU, max_size=4, unique_by=lambda g: g["index"]),
        "xid_events": st.lists(
            st.fixed_dictionaries(
                {"code": st.integers(0, 65_535), "occurred_at": TIMES.map(datetime.isoformat)},
                optional={"message": st.text(max_size=50), "gpu_index": st.integers(0, 63)},
            ),
            max_size=3,
        ),
        "findings": st.lists(
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(list(FindingKind)),
                    "severity": st.sampled_from(list(Severity)),
                    "action": st.sampled_from(list(Action)),
                    "summary": st.text(max_size=40),
                },
                optional={"details": st.dictionaries(NAMES, st.integers() | st.text(max_size=9), max_size=3)},
            ),
            max_size=3,
        ),
    },
)


FIELDS = st.sampled_from(["hostname", "collected_at", "gpus", "xid_events"])


def _decoded_or_refused(payload: bytes) -> NodeReport | None:
    try:
        return parse_report(payload)
    except InvalidInput as exc:
        assert exc.message.startswith("report: ") and len(exc.message) > len("report: ")
        return None


@settings(max_examples=150, deadline=None)
@given(raw=REPORT)
def test_a_valid_report_round_trips(raw):
    report = parse_report(json.dumps(raw).encode())
    assert report.collected_at.tzinfo is UTC
    assert parse_report(dump_report(report)) == report
    assert fast_parse(dump_report(report)) == [(0, report)]


@settings(max_examples=150, deadline=None)
@given(
    raw=REPORT, field=st.sampled_from(["hostname", "collected_at", "gpus", "xid_events"]), junk=JSON_VALUES
)
def test_a_mangled_field_is_refused_naming_it(raw, field, junk):
    try:
        parse_report(json.dumps(raw | {field: junk}).encode())
    except InvalidInput as exc:
        assert exc.message.startswith(f"report: {field}")


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=400))
def test_any_bytes_are_a_report_or_invalid_input(raw):
    _decoded_or_refused(raw)
    with contextlib.suppress(InvalidInput):
        parse_batch(raw)


@settings(max_examples=100, deadline=None)
@given(value=JSON_VALUES, depth=st.integers(0, 5_000), opener=st.sampled_from(["[", '{"k":']))
def test_any_nesting_is_split_or_refused_never_a_recursion_error(value, depth, opener):
    closer = "]" if opener == "[" else "}"
    payload = (opener * depth + json.dumps(value) + closer * depth).encode()
    try:
        items = split_body(payload)
    except (ValueError, InvalidInput) as exc:
        assert str(exc)
        return
    assert depth <= MAX_DEPTH and isinstance(items, list)


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES)
def test_the_depth_check_agrees_with_a_real_parser(value):
    """check_depth counts brackets outside strings, so strings full of brackets never trip it."""
    encoded = msgspec.json.encode(value)

    def depth(v) -> int:
        if isinstance(v, list | dict):
            children = v.values() if isinstance(v, dict) else v
            return 1 + max((depth(c) for c in children), default=0)
        return 0

    wrapped = b"[" * (MAX_DEPTH - depth(value)) + encoded + b"]" * (MAX_DEPTH - depth(value))
    check_depth(wrapped, "body")  # exactly at the limit: accepted
    try:
        check_depth(b"[" + wrapped + b"]", "body")
    except InvalidInput as exc:
        assert "nested deeper than" in exc.message
    else:
        raise AssertionError("one level over the limit was accepted")
