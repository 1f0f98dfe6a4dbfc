"""Readings and kernel events in, findings (severity + recommended action) out: the agent's judgement.

Each check is a small function over one collection; the few that need history (PCIe replay rate, hung
workload) keep it in `CheckState`, owned by the caller. Thresholds are data (`Thresholds`) so a fleet
can tune them without touching code. What is deliberately *not* a finding: `sw_power_cap` clock events
(a GPU at full load sits at its power cap, see the H100 load capture), PCIe running below its maximum
generation while idle (GPUs lower the link speed to save power), a replay counter that is high but not
rising.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

from fleetops.agent.event_checks import check_driver_events, check_presence, check_xids
from fleetops.catalog import XidCatalog
from fleetops.wire import (
    Action,
    DriverEvent,
    FaultOwner,
    Finding,
    FindingKind,
    GpuReading,
    Severity,
    XidEvent,
)

_THERMAL = {"hw_thermal_slowdown", "sw_thermal_slowdown"}
_POWER = {"hw_power_brake_slowdown", "hw_slowdown"}
_SLOWDOWNS = _THERMAL | _POWER


@dataclass(frozen=True, slots=True)
class Thresholds:
    # NVIDIA's RMA criterion for dynamic page retirement (pre-Ampere): 60 retired pages in total.
    retired_pages_max: int = 60
    # DCGM's PCIe health watch flags more than 8 replays a minute (DCGM_FR_PCI_REPLAY_RATE).
    pcie_replays_per_minute: float = 8.0
    # Below this utilisation a lower PCIe generation is power saving, not a degraded link.
    pcie_gen_check_min_util_pct: float = 50.0
    hung_utilization_pct: float = 99.0
    # Under a real load an H100 draws ~700 W; a "100 % busy" GPU below a quarter of its limit is spinning.
    hung_power_fraction: float = 0.25
    hung_cycles: int = 3


@dataclass(slots=True)
class CheckState:
    """What the stateful checks remember between cycles, keyed by GPU UUID (or index when unknown)."""

    replays: dict[str, tuple[float, int]] = field(default_factory=dict)
    hung_streak: dict[str, int] = field(default_factory=dict)


def _key(gpu: GpuReading) -> str:
    return gpu.uuid or f"index-{gpu.index}"


def _finding(
    kind: FindingKind,
    severity: Severity,
    action: Action,
    summary: str,
    gpu: GpuReading | None = None,
    **details: float | int | str | bool | None,
) -> Finding:
    return Finding(
        kind=kind,
        severity=severity,
        action=action,
        summary=summary,
        gpu_index=None if gpu is None else gpu.index,
        gpu_uuid=None if gpu is None else gpu.uuid,
        owner=FaultOwner.HARDWARE,
        details=details,
    )


def check_memory(gpu: GpuReading, limits: Thresholds) -> list[Finding]:
    found = []
    ecc, rows, pages = gpu.ecc, gpu.remapped_rows, gpu.retired_pages
    if ecc.uncorrected_volatile:
        found.append(
            _finding(
                FindingKind.ECC_UNCORRECTABLE_VOLATILE,
                Severity.CRITICAL,
                Action.RESET_GPU,
                f"{ecc.uncorrected_volatile} uncorrectable ECC errors since the last reset",
                gpu,
                count=ecc.uncorrected_volatile,
            )
        )
    if ecc.uncorrected_aggregate:
        found.append(
            _finding(
                FindingKind.ECC_UNCORRECTABLE_AGGREGATE,
                Severity.WARNING,
                Action.RUN_FIELD_DIAGNOSTICS,
                f"{ecc.uncorrected_aggregate} uncorrectable ECC errors over the GPU's life",
                gpu,
                count=ecc.uncorrected_aggregate,
            )
        )
    if rows is not None and rows.failure:
        found.append(
            _finding(
                FindingKind.ROW_REMAP_FAILURE,
                Severity.CRITICAL,
                Action.CONTACT_SUPPORT,
                "row remapping failed: no spare rows left (NVIDIA RMA criterion)",
                gpu,
                uncorrectable_rows=rows.uncorrectable,
            )
        )
    elif rows is not None and rows.pending:
        found.append(
            _finding(
                FindingKind.ROW_REMAP_PENDING,
                Severity.WARNING,
                Action.RESET_GPU,
                "a row remap is pending: it takes effect at the next GPU reset",
                gpu,
            )
        )
    if pages is not None:
        total = (pages.single_bit or 0) + (pages.double_bit or 0)
        if total >= limits.retired_pages_max:
            found.append(
                _finding(
                    FindingKind.RETIRED_PAGES,
                    Severity.CRITICAL,
                    Action.CONTACT_SUPPORT,
                    f"{total} retired pages (RMA at {limits.retired_pages_max})",
                    gpu,
                    retired=total,
                )
            )
        if pages.pending:
            found.append(
                _finding(
                    FindingKind.RETIRED_PAGES_PENDING,
                    Severity.WARNING,
                    Action.RESET_GPU,
                    "a page retirement is pending until the next reset",
                    gpu,
                )
            )
    return found


def check_clocks(gpu: GpuReading) -> list[Finding]:
    if _SLOWDOWNS.isdisjoint(gpu.clock_event_reasons):  # most readings: no set built at all
        return []
    reasons = set(gpu.clock_event_reasons)
    found = []
    if reasons & _THERMAL:
        found.append(
            _finding(
                FindingKind.THERMAL_THROTTLE,
                Severity.WARNING,
                Action.CHECK_MECHANICALS,
                f"thermal slowdown ({', '.join(sorted(reasons & _THERMAL))}) at {gpu.temperature_c} C",
                gpu,
                temperature_c=gpu.temperature_c,
            )
        )
    if reasons & _POWER:
        found.append(
            _finding(
                FindingKind.POWER_THROTTLE,
                Severity.WARNING,
                Action.CHECK_MECHANICALS,
                f"hardware power slowdown ({', '.join(sorted(reasons & _POWER))}), not the "
                "normal software power cap",
                gpu,
                power_w=gpu.power_w,
            )
        )
    return found


_UP = attrgetter("up")


def check_links(gpu: GpuReading, limits: Thresholds) -> list[Finding]:
    found, pcie = [], gpu.pcie
    narrow = pcie.width is not None and pcie.max_width is not None and pcie.width < pcie.max_width
    busy = (gpu.utilization_gpu_pct or 0) >= limits.pcie_gen_check_min_util_pct
    slow = busy and pcie.gen is not None and pcie.max_gen is not None and pcie.gen < pcie.max_gen
    if narrow or slow:
        found.append(
            _finding(
                FindingKind.PCIE_LINK_DEGRADED,
                Severity.WARNING,
                Action.CHECK_MECHANICALS,
                f"PCIe link Gen{pcie.gen} x{pcie.width}, capable of Gen{pcie.max_gen} x{pcie.max_width}",
                gpu,
                gen=pcie.gen,
                width=pcie.width,
            )
        )
    if False in map(_UP, gpu.nvlinks):  # the loop in C: 18 links a GPU, every report, all usually up
        down = [link.link for link in gpu.nvlinks if not link.up]
        found.append(
            _finding(
                FindingKind.NVLINK_DOWN,
                Severity.CRITICAL,
                Action.RESET_GPU,
                f"NVLink down: link(s) {', '.join(map(str, down))} of {len(gpu.nvlinks)}",
                gpu,
                links_down=len(down),
            )
        )
    return found


def check_replay_rate(gpu: GpuReading, limits: Thresholds, state: CheckState, now: float) -> list[Finding]:
    """The replay counter only ever grows, so the rate between two cycles is what says the link is bad."""
    counter = gpu.pcie.replay_counter
    if counter is None:
        return []
    previous = state.replays.get(_key(gpu))
    state.replays[_key(gpu)] = (now, counter)
    if previous is None or now <= previous[0] or counter < previous[1]:
        return []
    per_minute = (counter - previous[1]) * 60 / (now - previous[0])
    if per_minute <= limits.pcie_replays_per_minute:
        return []
    return [
        _finding(
            FindingKind.PCIE_REPLAY_RATE,
            Severity.WARNING,
            Action.CHECK_MECHANICALS,
            f"PCIe replays at {per_minute:.0f}/min (limit {limits.pcie_replays_per_minute:g})",
            gpu,
            per_minute=round(per_minute, 1),
        )
    ]


def check_hung(gpu: GpuReading, limits: Thresholds, state: CheckState) -> list[Finding]:
    """Utilisation pinned at 100 % while power stays near idle: kernels spinning on a collective that
    never completes (the stalled-NCCL signature), not real work."""
    util, power, limit = gpu.utilization_gpu_pct, gpu.power_w, gpu.power_limit_w
    spinning = (
        util is not None
        and power is not None
        and limit
        and util >= limits.hung_utilization_pct
        and power <= limits.hung_power_fraction * limit
    )
    streak = state.hung_streak.get(_key(gpu), 0) + 1 if spinning else 0
    state.hung_streak[_key(gpu)] = streak
    if streak < limits.hung_cycles:
        return []
    return [
        _finding(
            FindingKind.HUNG_WORKLOAD,
            Severity.WARNING,
            Action.RESTART_APP,
            f"utilization {util:.0f}% but {power:.0f} W of {limit:.0f} W for {streak} cycles: "
            "workload likely hung",
            gpu,
            cycles=streak,
        )
    ]


def run_checks(
    gpus: list[GpuReading],
    xids: list[XidEvent],
    drivers: list[DriverEvent],
    *,
    catalog: XidCatalog,
    state: CheckState,
    now: float,
    expected_gpus: int | None = None,
    limits: Thresholds | None = None,
) -> list[Finding]:
    """All checks over one collection; `now` is a monotonic clock reading in seconds (for rates)."""
    limits = limits or Thresholds()
    found = check_presence(gpus, expected_gpus, drivers, xids)
    for gpu in gpus:
        if gpu.lost:
            continue
        found += check_memory(gpu, limits) + check_clocks(gpu) + check_links(gpu, limits)
        found += check_replay_rate(gpu, limits, state, now) + check_hung(gpu, limits, state)
    return found + check_driver_events(drivers) + check_xids(xids, catalog)
