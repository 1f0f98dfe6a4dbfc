"""Policy loading: the defaults derive from the XID catalog; bad policies are refused with a clear error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from fleetops.catalog import XidEntry, default_catalog
from fleetops.errors import InvalidInput
from fleetops.flow import Finding
from fleetops.remediation.choices import ActionKind, FaultClass
from fleetops.remediation.policy import (
    POLICY_PATH,
    Context,
    default_policy,
    from_catalog,
    parse_policy,
    remedy,
)
from fleetops.wire import FaultOwner, Severity


def _finding(xid: int | None, check: str = "xid", message: str = "") -> Finding:
    return Finding(
        hostname="n1",
        check=check,
        severity=Severity.CRITICAL,
        owner=FaultOwner.HARDWARE,
        observed_at=datetime(2026, 1, 1, tzinfo=UTC),
        message=message,
        gpu_index=0,
        xid=xid,
    )


def _plan(
    xid: int | None, check: str = "xid", message: str = "", context: Context | None = None
) -> list[str]:
    plan = default_policy().plan(_finding(xid, check, message), context or Context())
    return [] if plan is None else [a.value for a in plan.actions]


@pytest.mark.parametrize("xid", [62, 64, 95, 109, 119, 120, 140, 143])
def test_reset_xids_drain_reset_verify(xid):
    assert _plan(xid) == ["drain", "reset_gpu", "verify"]


@pytest.mark.parametrize("xid", [74, 144, 145, 146, 149, 150])
def test_nvlink_xids_drain_and_contact_the_supplier(xid):
    assert _plan(xid) == ["drain", "contact_supplier"]


@pytest.mark.parametrize("xid", [147, 148, 157, 43])
def test_xids_the_catalog_ignores_get_no_run(xid):
    # 147/148: non-fatal software in NVIDIA's decode; 157: NVIDIA's immediate action is IGNORE; 43: the
    # application's channel was reset and the GPU stays usable (NVIDIA: IGNORE).
    assert _plan(xid) == []


@pytest.mark.parametrize("xid", [13, 31, 94])
def test_application_xids_only_tell_the_customer(xid):
    assert _plan(xid) == ["notify_customer"]


@pytest.mark.parametrize("entry", default_catalog().entries.values(), ids=lambda e: f"xid{e.code}")
def test_every_catalog_row_gets_its_folded_remedy_or_the_one_its_policy_note_names(entry: XidEntry):
    plan = default_policy().plan(_finding(entry.code))
    ours = remedy(plan.actions if plan else None)
    theirs = remedy(from_catalog(entry.action))
    if ours == theirs:
        assert entry.policy_note == "", "policy_note for a difference the policy no longer makes"
    else:
        assert ours is not None and ours.value in entry.policy_note, (
            f"XID {entry.code}: policy does {ours}, catalog folds to {entry.action.value} ({theirs}), "
            "and the row's policy_note does not say so"
        )


def test_xid48_alone_and_with_retirement():
    assert _plan(48) == ["reset_gpu", "verify"]
    assert _plan(48, context=Context(recent_xids=frozenset({63}))) == ["drain", "reset_gpu", "verify"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "GPU recovery action changed from 0x0 (None) to 0x1 (GPU Reset Required)",
            ["drain", "reset_gpu", "verify"],
        ),
        (
            "GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot Required)",
            ["drain", "reboot_node", "verify"],
        ),
        ("GPU recovery action changed from 0x1 (GPU Reset Required) to 0x0 (None)", []),
    ],
)
def test_xid154_does_what_the_driver_says(message, expected):
    assert _plan(154, message=message) == expected


def test_xid154_without_a_target_goes_to_a_person():
    plan = default_policy().plan(_finding(154, message="recovery action changed"))
    assert plan is not None and plan.needs_human and plan.actions == ()


def test_catalog_derivation_for_xids_without_a_rule():
    assert _plan(46) == ["drain", "reset_gpu", "verify"]  # catalog: reset_gpu
    assert _plan(168) == ["drain", "reboot_node", "verify"]  # catalog: reboot_node
    assert _plan(151) == ["notify_customer"]  # catalog: restart_app (NVIDIA: restart the VM)
    assert _plan(63) == []  # catalog: ignore
    unknown = default_policy().plan(_finding(999))
    assert unknown is not None and unknown.needs_human


def test_fault_class_follows_the_catalog_owner():
    assert default_policy().plan(_finding(119)).fault_class is FaultClass.SOFTWARE
    assert default_policy().plan(_finding(62)).fault_class is FaultClass.HARDWARE


def test_other_checks():
    assert _plan(None, "row_remap_failure") == ["drain", "rma_ticket"]
    assert _plan(None, "node_silent") == ["check_power", "power_cycle", "verify"]
    assert _plan(None, "ecc_uncorrectable_volatile") == ["drain", "reset_gpu", "verify"]
    after = Context(recent_actions=frozenset({ActionKind.RESET_GPU}))
    assert _plan(None, "ecc_uncorrectable_volatile", context=after) == ["drain", "rma_ticket"]
    assert _plan(None, "thermal_throttle") == []


def _defaults() -> dict:
    return yaml.safe_load(POLICY_PATH.read_text())


def _named(data: dict, name: str) -> dict:
    return next(rule for rule in data["rules"] if rule["name"] == name)


def test_unknown_action_is_rejected_naming_rule_and_field():
    data = _defaults()
    _named(data, "dbe-alone")["actions"] = ["reset_gpu", "reboot"]
    with pytest.raises(
        InvalidInput, match=r"rules\[0\] \(dbe-alone\)\.actions\[1\]: 'reboot' is not a known action"
    ):
        parse_policy(data)


def test_loops_are_rejected():
    data = _defaults()
    _named(data, "dbe-with-retirement")["actions"] = ["drain", "reset_gpu", "verify", "reset_gpu"]
    with pytest.raises(InvalidInput, match="appears twice"):
        parse_policy(data)
    data = _defaults()
    data["ladder"] = ["reset_gpu", "reboot_node", "reset_gpu", "rma_ticket"]
    with pytest.raises(InvalidInput, match="ladder.*appears twice"):
        parse_policy(data)


def test_contradictory_rules_are_rejected():
    data = _defaults()
    data["rules"].append({"name": "other", "match": {"check": "xid", "xids": [48]}, "actions": ["reset_gpu"]})
    with pytest.raises(InvalidInput, match="'dbe-alone' and 'other' both match XID 48"):
        parse_policy(data)


def test_a_rule_differing_from_the_catalog_needs_the_rows_policy_note():
    data = _defaults()
    retire = {"name": "retirement-failure", "match": {"check": "xid", "xids": [157]}}
    data["rules"].append({**retire, "actions": ["drain", "rma_ticket"]})
    with pytest.raises(
        InvalidInput,
        match=r"\(retirement-failure\)\.actions: XID 157 gets rma_ticket but the XID catalog folds it to ig",
    ):
        parse_policy(data)
    # The NVLink rows' policy_note names contact_supplier, not an RMA: a note covers only what it says.
    data = _defaults()
    _named(data, "nvlink")["actions"] = ["drain", "rma_ticket"]
    with pytest.raises(InvalidInput, match=r"\(nvlink\)\.actions: XID 74 gets rma_ticket"):
        parse_policy(data)


def test_nothing_may_follow_a_handover():
    data = _defaults()
    data["rules"][-1]["actions"] = ["drain", "rma_ticket", "verify"]
    with pytest.raises(InvalidInput, match="follows rma_ticket"):
        parse_policy(data)


def test_ladder_must_end_with_the_supplier():
    data = _defaults()
    data["ladder"] = ["reset_gpu", "reboot_node"]
    with pytest.raises(InvalidInput, match="top rung"):
        parse_policy(data)
