from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from fleetops.agent.collectors.kmsg import (
    parse_driver_line,
    parse_journal_json,
    parse_kmsg_record,
    parse_lines,
    parse_xid_line,
)
from fleetops.wire import RecoveryAction

T0 = datetime(2026, 11, 23, 6, 5, 8, tzinfo=UTC)


def test_xid_79_with_pid_and_name() -> None:
    line = "NVRM: Xid (PCI:0000:3b:00): 79, pid=4242, name=python3, GPU has fallen off the bus."
    event = parse_xid_line(line, T0)
    assert event is not None
    assert (event.code, event.pci_bus_id, event.pid, event.process_name) == (
        79,
        "0000:3b:00",
        4242,
        "python3",
    )
    assert event.message == "GPU has fallen off the bus."
    assert event.raw == line


def test_unknown_pid_and_name_become_none() -> None:
    line = "NVRM: Xid (PCI:0000:cb:00): 13, pid='<unknown>', name=<unknown>, Graphics SM Warp Exception on (GPC 7)"  # noqa: E501 (a verbatim driver line)
    event = parse_xid_line(line, T0)
    assert event is not None and event.pid is None and event.process_name is None
    assert event.message.startswith("Graphics SM Warp Exception")


def test_old_format_without_pci_prefix_and_pid_only() -> None:
    old = parse_xid_line("NVRM: Xid (0000:01:00): 31, Ch 0000000b, engmask 00000120", T0)
    remap = parse_xid_line("NVRM: Xid (PCI:0000:10:1c): 63, pid=1896, Row Remapper: New row marked", T0)
    assert old is not None and old.code == 31 and old.pci_bus_id == "0000:01:00"
    assert remap is not None and remap.pid == 1896 and remap.message == "Row Remapper: New row marked"


def test_xid_154_carries_recovery_action() -> None:
    line = "NVRM: Xid (PCI:0000:01:00): 154, GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot Required)"  # noqa: E501 (a verbatim driver line)
    event = parse_xid_line(line, T0)
    assert event is not None and event.recovery_action == RecoveryAction.NODE_REBOOT


def test_fatal_driver_lines() -> None:
    fallen = parse_driver_line("NVRM: GPU 0000:01:00.0: GPU has fallen off the bus.", T0)
    init = parse_driver_line("NVRM: GPU 0000:3b:00.0: RmInitAdapter failed! (0x26:0x56:1474)", T0)
    assert fallen is not None and (fallen.kind, fallen.pci_bus_id) == ("fallen_off_bus", "0000:01:00")
    assert init is not None and init.kind == "init_failed"
    assert parse_driver_line("usb 1-1: new high-speed USB device", T0) is None


def test_kmsg_record_and_journal_json() -> None:
    record = parse_kmsg_record("3,1234,5678901,-;NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.")
    assert record is not None and (record.sequence, record.monotonic_us) == (1234, 5678901)
    assert parse_kmsg_record("no separator") is None
    text = '{"MESSAGE": "NVRM: Xid (PCI:0000:3b:00): 48, DBE", "__REALTIME_TIMESTAMP": "1795419457000000", "__CURSOR": "c1"}\nnot json\n'  # noqa: E501 (verbatim journalctl output)
    lines, cursor = parse_journal_json(text)
    assert cursor == "c1" and len(lines) == 1
    xids, drivers = parse_lines(lines, "journal")
    assert [x.code for x in xids] == [48] and xids[0].source == "journal" and drivers == []


@given(st.text(max_size=400))
def test_parsers_never_raise_on_garbage(text: str) -> None:
    parse_xid_line(text, T0)
    parse_driver_line(text, T0)
    parse_kmsg_record(text)
    parse_journal_json(text)
    parse_lines([("NVRM: Xid (" + text, T0), ("NVRM: " + text, T0)])


_BUS = st.tuples(st.integers(0, 0xFFFF), st.integers(0, 255), st.integers(0, 31))
_WORD = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters=","),
    min_size=1,
    max_size=20,
)


@given(
    code=st.integers(0, 65535), bus=_BUS, pid=st.integers(1, 2**22), name=_WORD, message=st.text(max_size=100)
)
def test_well_formed_lines_round_trip(
    code: int, bus: tuple[int, int, int], pid: int, name: str, message: str
) -> None:
    address = f"{bus[0]:04x}:{bus[1]:02x}:{bus[2]:02x}"
    line = f"NVRM: Xid (PCI:{address}): {code}, pid={pid}, name={name}, {message}"
    event = parse_xid_line(line, T0)
    assert event is not None
    assert (event.code, event.pci_bus_id, event.pid) == (code, address, pid)
