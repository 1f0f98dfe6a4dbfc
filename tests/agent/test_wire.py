import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from fleetops.errors import InvalidInput
from fleetops.wire import (
    MAX_GPUS,
    GpuReading,
    NodeReport,
    XidEvent,
    decode_clock_event_reasons,
    dump_report,
    normalize_pci_bus_id,
    parse_batch,
    parse_report,
)


def _report(**overrides: object) -> NodeReport:
    fields = {
        "hostname": "gpu-001",
        "agent_version": "0.1.0",
        "collected_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    return NodeReport(**{**fields, **overrides})


def test_round_trip_keeps_report_id_and_utc() -> None:
    local = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    report = _report(collected_at=local, gpus=[GpuReading(index=0, clock_event_mask=4)])
    again = parse_report(dump_report(report))
    assert again.report_id == report.report_id
    assert again.collected_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert again.gpus[0].clock_event_reasons == ["sw_power_cap"]


def test_naive_time_rejected() -> None:
    data = json.loads(dump_report(_report()))
    data["collected_at"] = "2026-01-01T00:00:00"
    with pytest.raises(InvalidInput, match="collected_at"):
        parse_report(json.dumps(data))


def test_oversized_reports_rejected() -> None:
    data = json.loads(dump_report(_report()))
    data["gpus"] = [{"index": i % MAX_GPUS} for i in range(MAX_GPUS + 1)]
    with pytest.raises(InvalidInput, match="gpus"):
        parse_report(data)
    data = json.loads(dump_report(_report()))
    data["hostname"] = "x" * 10_000
    with pytest.raises(InvalidInput, match="hostname"):
        parse_report(data)


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"reports": []}', b"\xff\xfe"])
def test_garbage_is_invalid_input(body: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_batch(body)


def test_unknown_field_and_version_rejected() -> None:
    data = json.loads(dump_report(_report()))
    with pytest.raises(InvalidInput, match="schema_version"):
        parse_report({**data, "schema_version": 99})
    with pytest.raises(InvalidInput, match="surprise"):
        parse_report({**data, "surprise": 1})


def test_duplicate_gpu_index_rejected() -> None:
    with pytest.raises(InvalidInput, match="same GPU index"):
        parse_report({**json.loads(dump_report(_report())), "gpus": [{"index": 0}, {"index": 0}]})


def test_pci_and_reason_helpers() -> None:
    assert normalize_pci_bus_id("00000000:3B:00.0") == normalize_pci_bus_id("PCI:0000:3b:00") == "0000:3b:00"
    assert normalize_pci_bus_id("garbage") is None
    assert decode_clock_event_reasons(0x44) == ["sw_power_cap", "hw_thermal_slowdown"]
    assert decode_clock_event_reasons(1 << 20) == ["bit_20"]
    assert XidEvent(code=79, occurred_at=datetime(2026, 1, 1, tzinfo=UTC)).source == "kmsg"
