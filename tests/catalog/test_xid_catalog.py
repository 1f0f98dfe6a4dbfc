from pathlib import Path

import pytest

from fleetops.catalog import (
    CATALOG_PATH,
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
    ],
)
def test_nvidia_immediate_actions(code: int, action: Action, owner: FaultOwner) -> None:
    entry = default_catalog().lookup(code)
    assert (entry.action, entry.owner) == (action, owner)


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
