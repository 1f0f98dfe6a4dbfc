import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetops.agent.checks import CheckState, Thresholds, run_checks
from fleetops.agent.collectors.smi_xml import parse_smi_xml
from fleetops.catalog import default_catalog
from fleetops.wire import (
    Action,
    DriverEvent,
    Ecc,
    FindingKind,
    GpuReading,
    NvLink,
    PcieLink,
    RecoveryAction,
    RemappedRows,
    RetiredPages,
    Severity,
    XidEvent,
)

T0 = datetime(2026, 11, 23, tzinfo=UTC)
HEALTHY = dict(
    index=0,
    uuid="GPU-0",
    pci_bus_id="0000:18:00",
    power_w=120.0,
    power_limit_w=700.0,
    utilization_gpu_pct=0.0,
    clock_event_mask=1,
    pcie=PcieLink(gen=5, width=16, max_gen=5, max_width=16),
)


def gpu(**changes: object) -> GpuReading:
    return GpuReading(**{**HEALTHY, **changes})


def kinds(
    gpus: list[GpuReading], xids=(), drivers=(), state=None, now=0.0, expected=None
) -> list[FindingKind]:
    found = run_checks(
        list(gpus),
        list(xids),
        list(drivers),
        catalog=default_catalog(),
        state=state or CheckState(),
        now=now,
        expected_gpus=expected,
    )
    return [f.kind for f in found]


def test_healthy_idle_gpu_has_no_findings() -> None:
    assert kinds([gpu()], expected=1) == []


def test_real_captures_are_healthy(h100: Path) -> None:
    """Idle and full-load H100 captures: power cap and a single replay are normal, not faults."""
    for name in ("nvidia-smi-q.xml", "nvidia-smi-q-load.xml"):
        _, gpus = parse_smi_xml((h100 / name).read_text())
        assert kinds(gpus, expected=1) == [], name
    series = json.loads((h100 / "nvml-load-series.json").read_text())
    state = CheckState()
    for sample in series:
        reading = gpu(
            utilization_gpu_pct=sample["util_gpu"],
            power_w=sample["power_mw"] / 1000,
            clock_event_mask=sample["clock_event_reasons"],
            pcie=PcieLink(replay_counter=sample["pcie_replay"]),
        )
        assert kinds([reading], state=state, now=sample["t"]) == []


@pytest.mark.parametrize(
    ("changes", "kind", "action"),
    [
        ({"ecc": Ecc(uncorrected_volatile=2)}, FindingKind.ECC_UNCORRECTABLE_VOLATILE, Action.RESET_GPU),
        (
            {"ecc": Ecc(uncorrected_aggregate=1)},
            FindingKind.ECC_UNCORRECTABLE_AGGREGATE,
            Action.RUN_FIELD_DIAGNOSTICS,
        ),
        (
            {"remapped_rows": RemappedRows(correctable=0, uncorrectable=3, pending=False, failure=True)},
            FindingKind.ROW_REMAP_FAILURE,
            Action.CONTACT_SUPPORT,
        ),
        (
            {"remapped_rows": RemappedRows(correctable=0, uncorrectable=1, pending=True, failure=False)},
            FindingKind.ROW_REMAP_PENDING,
            Action.RESET_GPU,
        ),
        (
            {"retired_pages": RetiredPages(single_bit=40, double_bit=20)},
            FindingKind.RETIRED_PAGES,
            Action.CONTACT_SUPPORT,
        ),
        (
            {"clock_event_mask": 0x40, "temperature_c": 91},
            FindingKind.THERMAL_THROTTLE,
            Action.CHECK_MECHANICALS,
        ),
        ({"clock_event_mask": 0x80}, FindingKind.POWER_THROTTLE, Action.CHECK_MECHANICALS),
        (
            {"pcie": PcieLink(gen=5, width=8, max_gen=5, max_width=16)},
            FindingKind.PCIE_LINK_DEGRADED,
            Action.CHECK_MECHANICALS,
        ),
        (
            {"pcie": PcieLink(gen=3, width=16, max_gen=5, max_width=16), "utilization_gpu_pct": 95},
            FindingKind.PCIE_LINK_DEGRADED,
            Action.CHECK_MECHANICALS,
        ),
        (
            {"nvlinks": [NvLink(link=0, up=True), NvLink(link=1, up=False)]},
            FindingKind.NVLINK_DOWN,
            Action.RESET_GPU,
        ),
        ({"lost": True}, FindingKind.FALLEN_OFF_BUS, Action.REBOOT_NODE),
    ],
)
def test_each_fault_triggers_its_finding(changes: dict, kind: FindingKind, action: Action) -> None:
    found = run_checks([gpu(**changes)], [], [], catalog=default_catalog(), state=CheckState(), now=0)
    assert [(f.kind, f.action) for f in found] == [(kind, action)]


@pytest.mark.parametrize(
    "changes",
    [
        {"clock_event_mask": 0x4, "utilization_gpu_pct": 100, "power_w": 697},  # sw_power_cap under load
        {"pcie": PcieLink(gen=1, width=16, max_gen=5, max_width=16)},  # idle link power saving
        {"retired_pages": RetiredPages(single_bit=10, double_bit=2, pending=False)},
        {"remapped_rows": RemappedRows(correctable=5, uncorrectable=0, pending=False, failure=False)},
        {"ecc": Ecc(corrected_volatile=1000, uncorrected_volatile=0)},
    ],
)
def test_normal_conditions_do_not_trigger(changes: dict) -> None:
    assert kinds([gpu(**changes)]) == []


def test_replay_rate_needs_a_rising_counter() -> None:
    state = CheckState()
    assert kinds([gpu(pcie=PcieLink(replay_counter=500))], state=state, now=0) == []
    assert kinds([gpu(pcie=PcieLink(replay_counter=505))], state=state, now=60) == []
    assert kinds([gpu(pcie=PcieLink(replay_counter=600))], state=state, now=120) == [
        FindingKind.PCIE_REPLAY_RATE
    ]


def test_hung_workload_after_consecutive_cycles() -> None:
    state, hung = CheckState(), gpu(utilization_gpu_pct=100, power_w=110)
    assert [kinds([hung], state=state) for _ in range(3)] == [[], [], [FindingKind.HUNG_WORKLOAD]]
    assert kinds([gpu(utilization_gpu_pct=100, power_w=690)], state=state) == []


def test_gpu_missing() -> None:
    assert kinds([gpu(index=i, uuid=f"GPU-{i}") for i in range(7)], expected=8) == [FindingKind.GPU_MISSING]
    assert kinds([gpu(index=i, uuid=f"GPU-{i}") for i in range(8)], expected=8) == []


def test_fallen_off_bus_reported_once_from_three_sources() -> None:
    xid = XidEvent(code=79, pci_bus_id="0000:18:00", gpu_index=0, occurred_at=T0)
    line = DriverEvent(kind="fallen_off_bus", pci_bus_id="0000:18:00", gpu_index=0, occurred_at=T0)
    found = kinds([gpu(lost=True)], xids=[xid], drivers=[line])
    assert found.count(FindingKind.FALLEN_OFF_BUS) == 1 and FindingKind.XID in found


def test_xid_findings_from_catalog_with_154_precedence() -> None:
    app_fault = XidEvent(code=13, gpu_index=0, occurred_at=T0)
    found = run_checks([], [app_fault], [], catalog=default_catalog(), state=CheckState(), now=0)
    assert (found[0].action, found[0].severity, found[0].owner.value) == (
        Action.RESTART_APP,
        Severity.WARNING,
        "application",
    )
    stated = XidEvent(code=154, gpu_index=0, occurred_at=T0, recovery_action=RecoveryAction.NODE_REBOOT)
    found = run_checks([], [app_fault, stated], [], catalog=default_catalog(), state=CheckState(), now=0)
    assert [(f.xid, f.action, f.severity) for f in found] == [
        (13, Action.REBOOT_NODE, Severity.CRITICAL),
        (154, Action.REBOOT_NODE, Severity.CRITICAL),
    ]


def test_a_lone_xid_154_states_the_recovery_by_itself() -> None:
    stated = XidEvent(code=154, gpu_index=1, occurred_at=T0, recovery_action=RecoveryAction.GPU_RESET)
    (found,) = run_checks([], [stated], [], catalog=default_catalog(), state=CheckState(), now=0)
    assert (found.xid, found.action, found.details["solo"]) == (154, Action.RESET_GPU, False)


def test_xid_45_alone_points_at_the_fabric_manager_and_follows_its_companion_otherwise() -> None:
    """NVIDIA's WORKFLOW_XID_45: alone, restart the fabric manager; with another XID, that XID decides."""
    cleanup = XidEvent(code=45, gpu_index=2, occurred_at=T0)
    (alone,) = run_checks([], [cleanup], [], catalog=default_catalog(), state=CheckState(), now=0)
    assert (alone.action, alone.details["solo"]) == (Action.INVESTIGATE_SOFTWARE, True)
    assert "fabric manager" in alone.summary
    uncontained = XidEvent(code=95, gpu_index=2, occurred_at=T0)
    elsewhere = XidEvent(code=95, gpu_index=3, occurred_at=T0)
    found = run_checks([], [uncontained, cleanup], [], catalog=default_catalog(), state=CheckState(), now=0)
    assert [(f.xid, f.action) for f in found] == [(95, Action.RESET_GPU), (45, Action.IGNORE)]
    found = run_checks([], [elsewhere, cleanup], [], catalog=default_catalog(), state=CheckState(), now=0)
    assert [(f.xid, f.action) for f in found] == [(95, Action.RESET_GPU), (45, Action.INVESTIGATE_SOFTWARE)]


def test_unknown_xid_is_reported_not_dropped() -> None:
    found = run_checks(
        [], [XidEvent(code=999, occurred_at=T0)], [], catalog=default_catalog(), state=CheckState(), now=0
    )
    assert found[0].summary.startswith("unknown XID 999") and found[0].details["known"] is False


def test_thresholds_are_configurable() -> None:
    reading = gpu(retired_pages=RetiredPages(single_bit=10, double_bit=0))
    found = run_checks(
        [reading],
        [],
        [],
        catalog=default_catalog(),
        state=CheckState(),
        now=0,
        limits=Thresholds(retired_pages_max=10),
    )
    assert [f.kind for f in found] == [FindingKind.RETIRED_PAGES]
