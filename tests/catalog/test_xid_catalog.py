from pathlib import Path

import pytest

from fleetops.catalog import (
    CATALOG_PATH,
    XidEntry,
    default_catalog,
    load_catalog,
    parse_recovery_action,
    resolve_action,
)
from fleetops.errors import InvalidInput
from fleetops.wire import Action, FaultOwner, RecoveryAction

REQUIRED = [13, 31, 43, 48, 62, 63, 64, 74, 79, 92, 94, 95, 109, 119, 120, 140, 143, *range(144, 151), 154]


def test_catalog_covers_the_xids_remediation_needs_and_cites_nvidia() -> None:
    catalog = default_catalog()
    assert "docs.nvidia.com/deploy/xid-errors" in catalog.source
    missing = [code for code in REQUIRED if code not in catalog.entries]
    assert missing == []


@pytest.mark.parametrize(
    ("code", "action", "owner"),
    [
        (79, Action.REBOOT_NODE, FaultOwner.HARDWARE),
        (13, Action.RESTART_APP, FaultOwner.APPLICATION),
        (31, Action.RESTART_APP, FaultOwner.APPLICATION),
        (95, Action.RESET_GPU, FaultOwner.HARDWARE),
        (63, Action.IGNORE, FaultOwner.HARDWARE),
        (119, Action.RESET_GPU, FaultOwner.DRIVER_SYSTEM),
        # Checked against NVIDIA's catalog on 2026-11-23 (corrected rows):
        (32, Action.RESTART_APP, FaultOwner.HARDWARE),  # "primarily ... quality issues on PCI"
        (137, Action.IGNORE, FaultOwner.APPLICATION),  # "Typically these are application-level bugs"
        (147, Action.IGNORE, FaultOwner.DRIVER_SYSTEM),  # every decoded variant: IGNORE, non-fatal, SW
        (151, Action.RESTART_APP, FaultOwner.DRIVER_SYSTEM),  # RESTART_VM: no bare-metal restart
        (159, Action.RESET_GPU, FaultOwner.DRIVER_SYSTEM),  # CHECK_UVM: reset when UVM is in use
        (171, Action.RESET_GPU, FaultOwner.HARDWARE),  # details of an XID 48
    ],
)
def test_nvidia_immediate_actions(code: int, action: Action, owner: FaultOwner) -> None:
    entry = default_catalog().lookup(code)
    assert (entry.action, entry.owner) == (action, owner)


# NVIDIA's catalog, "Applies to H100" = YES, less the unused codes: each must be known, not "unknown XID n".
H100_XIDS = [
    *(8, 11, 13, 25, 31, 32, 37, 38, 39, 40, 41, 43, 44, 45, 46, 48, 54, 60, 62, 63, 64, 66, 67, 68, 69),
    *(70, 71, 72, 74, 75, 76, 77, 78, 79, 80, 82, 83, 84, 85, 86, 88, 89, 92, 94, 95),
    *range(96, 108),
    *(109, 110, 119, 120, 136, 137, 140, 141, 143, 151, 154, 156, 157, 158, 167, 168, 169, 171, 172),
]


def test_every_xid_nvidia_lists_for_h100_is_known() -> None:
    entries = default_catalog().entries
    assert [code for code in H100_XIDS if code not in entries] == []


def test_rows_without_an_nvidia_bucket_say_why_and_a_wrong_bucket_is_refused(tmp_path: Path) -> None:
    empty = [entry for entry in default_catalog().entries.values() if not entry.nvidia_action]
    assert sorted(entry.code for entry in empty) == [167, 168, 169, 171, 172]
    assert all(entry.note for entry in empty)
    path = tmp_path / "xid.yaml"
    path.write_text(CATALOG_PATH.read_text().replace("action: RESTART_BM", "action: RESTART_B", 1))
    with pytest.raises(InvalidInput, match=r"xids\.79\.nvidia_action: 'RESTART_B' is not an NVIDIA"):
        load_catalog(path)


# NVIDIA's plain immediate buckets and the folded action each means; a workflow or an empty bucket is
# folded by hand, and its row's `note` says how.
IMMEDIATE = {
    "IGNORE": Action.IGNORE,
    "RESTART_APP": Action.RESTART_APP,
    "RESTART_VM": Action.RESTART_APP,  # the customer restarts its VM (151)
    "RESET_GPU": Action.RESET_GPU,
    "RESTART_BM": Action.REBOOT_NODE,
    "CONTACT_SUPPORT": Action.CONTACT_SUPPORT,
    "CHECK_MECHANICALS": Action.CHECK_MECHANICALS,
    "UPDATE_SWFW": Action.UPDATE_SOFTWARE,
}


@pytest.mark.parametrize("entry", default_catalog().entries.values(), ids=lambda e: f"xid{e.code}")
def test_every_row_folds_nvidias_immediate_action(entry: XidEntry) -> None:
    # 157 once folded IGNORE to contact_support, and remediation drained and opened an RMA at once.
    if entry.nvidia_action in IMMEDIATE:
        assert entry.action is IMMEDIATE[entry.nvidia_action]
    else:
        assert entry.note, f"XID {entry.code}: {entry.nvidia_action or 'no bucket'} folded without a note"


def test_unknown_xid_is_kept_and_named_unknown() -> None:
    entry = default_catalog().lookup(4242)
    assert not entry.known
    assert entry.title == "unknown XID 4242"
    assert entry.action == Action.CONTACT_SUPPORT


def test_unknown_action_name_is_a_clear_error(tmp_path: Path) -> None:
    bad = CATALOG_PATH.read_text().replace(
        "action: reboot_node, severity: critical}", "action: reboot_nod, severity: critical}", 1
    )
    path = tmp_path / "xid.yaml"
    path.write_text(bad)
    with pytest.raises(InvalidInput, match=r"xids\.\d+\.action: 'reboot_nod' is not a known Action"):
        load_catalog(path)


def test_catalog_without_source_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "xid.yaml"
    path.write_text("version: '1'\nxids: {}\n")
    with pytest.raises(InvalidInput, match="source"):
        load_catalog(path)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot Required)",
            RecoveryAction.NODE_REBOOT,
        ),
        ("GPU recovery action changed from 0x0 (None) to 0x1 (GPU Reset Required)", RecoveryAction.GPU_RESET),
        ("GPU recovery action changed from 0x0 (None) to 0x2 (OS Reboot)", RecoveryAction.NODE_REBOOT),
        ("GPU recovery action changed from 0x1 (GPU Reset Required) to 0x0 (None)", RecoveryAction.NONE),
        ("GPU recovery action changed to (Drain and Reset)", RecoveryAction.DRAIN_AND_RESET),
        ("something else entirely", None),
    ],
)
def test_xid_154_recovery_action_parsed(message: str, expected: RecoveryAction | None) -> None:
    assert parse_recovery_action(message) == expected


def test_xid_154_takes_precedence_over_catalog() -> None:
    entry = default_catalog().lookup(13)
    assert resolve_action(entry, None) == Action.RESTART_APP
    assert resolve_action(entry, RecoveryAction.NODE_REBOOT) == Action.REBOOT_NODE
