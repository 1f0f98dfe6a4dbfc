"""The soak's figures, measured from the records at its end (`sim.evidence.Evidence`).

Automation share counts real faults, not runs: a fault is automated when the system drained what needed
draining, handed it to the right owner (a ticket to the node's supplier for a part), and returned the
node after the repair with no step by our own staff. MTTR is read from the runs (detection → back in
service), software and hardware apart, and for hardware handed to the supplier both the time to the
hand-off and the time back in service including the RMA wait. GPU-hours lost count each node's time
unhealthy, silent or held by a run, once where they overlap.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from fleetops.sim.evidence import Evidence, attribute, pagerduty_pages
from fleetops.sim.scenario import Cure, TrueFault

# Handled by notices to their owners, not by node actions (and the control plane's own silences).
NO_ACTION = ("tor_switch", "rack_power", "customer_job", "partition", "control_plane_down")


def _minutes(ordered: list[float], q: float) -> float | None:
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 60, 1) if ordered else None


def _quantiles(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {"n": len(ordered), "p50_min": _minutes(ordered, 0.5), "p90_min": _minutes(ordered, 0.9)}


def runs_of(evidence: Evidence, fault: TrueFault) -> list[dict[str, Any]]:
    """The runs that dealt with a real fault: on its hosts, detected while it lasted."""
    start = fault.at - timedelta(minutes=5)
    end = fault.ended_at or evidence.now
    hosts = set(fault.hosts)
    return [r for r in evidence.runs if r["hostname"] in hosts and start <= r["detected_at"] <= end]


def needs_action(fault: TrueFault) -> bool:
    """Faults the fleet must act on (drain, repair, hand over); customer faults and correlated silences
    are told to their owners instead, invisible ones cannot be seen."""
    return (
        fault.visible and fault.name not in NO_ACTION and fault.cure is not Cure.SELF or bool(fault.episodes)
    )


def automation(evidence: Evidence) -> dict[str, Any]:
    staffed = {s["run_id"] for s in evidence.staff_steps}
    finished = automated = in_progress = undetected = 0
    not_automated: list[str] = []
    for fault in evidence.truth:
        if not needs_action(fault):
            continue
        runs = runs_of(evidence, fault)
        if not runs:
            undetected += fault.ended_at is not None
            continue
        last = runs[-1]
        by_person = last["state"] == "escalated" and not last["ticket"]
        if not by_person and (fault.ended_at is None or last["state"] not in ("resolved", "cancelled")):
            in_progress += 1
            continue
        finished += 1
        handed = fault.cure is not Cure.PART or any(r["id"] in evidence.handovers for r in runs)
        returned = last["state"] == "resolved" and last["back_in_service_at"] is not None
        if returned and handed and not any(r["id"] in staffed for r in runs):
            automated += 1
        elif len(not_automated) < 5:
            not_automated.append(
                f"fault {fault.id} {fault.name} on {fault.hosts[0]}: runs {[r['id'] for r in runs]}"
            )
    return {
        "share": round(automated / finished, 3) if finished else None,
        "automated": automated,
        "finished": finished,
        "in_progress": in_progress,
        "undetected": undetected,
        "not_automated": not_automated,
    }


def mttr(evidence: Evidence) -> dict[str, Any]:
    software, hardware, rma, hand_off = [], [], [], []
    waiting = 0
    for run in evidence.runs:
        handed = evidence.handovers.get(run["id"])
        if handed is not None:
            hand_off.append((handed - run["detected_at"]).total_seconds())
            waiting += run["back_in_service_at"] is None and run["state"] != "cancelled"
        back = run["back_in_service_at"]
        if back is None or run["state"] != "resolved":
            continue
        seconds = (back - run["detected_at"]).total_seconds()
        if handed is not None:
            rma.append(seconds)
        elif run["fault_class"].value == "hardware":
            hardware.append(seconds)
        else:
            software.append(seconds)
    return {
        "software": _quantiles(software),
        "hardware": _quantiles(hardware),
        "hardware_rma": _quantiles(rma) | {"still_with_supplier": waiting},
        "hand_off": _quantiles(hand_off),
    }


def _union_hours(intervals: list[tuple[datetime, datetime]]) -> float:
    total, end_so_far = 0.0, None
    for start, end in sorted(intervals):
        if end_so_far is not None and start < end_so_far:
            start = end_so_far
        if end > start:
            total += (end - start).total_seconds()
            end_so_far = end
    return total / 3600


def gpu_hours_lost(evidence: Evidence) -> float:
    per_node: dict[int, list[tuple[datetime, datetime]]] = {}
    for node_id, start, end in evidence.health_down:
        per_node.setdefault(node_id, []).append((max(start, evidence.start), end or evidence.now))
    for run in evidence.runs:
        if run["drained_at"] is not None:
            end = run["back_in_service_at"] or (run["finished_at"] if run["state"] == "cancelled" else None)
            per_node.setdefault(run["node_id"], []).append((run["drained_at"], end or evidence.now))
    return round(
        sum(_union_hours(spans) * evidence.gpus_per_node.get(node, 8) for node, spans in per_node.items()), 1
    )


def summary(evidence: Evidence) -> dict[str, Any]:
    days = max((evidence.now - evidence.start).total_seconds() / 86400, 1e-9)
    pages = pagerduty_pages(evidence)
    by_path = Counter(t.path for t in evidence.tickets)
    # Hardware faults whose handling is settled: handed to someone on a ticket, or over (one our engine is
    # still climbing its ladder for when the soak stops is neither).
    owned = attribute(evidence)
    hardware = [
        f
        for f in evidence.truth
        if f.cure is Cure.PART
        and needs_action(f)
        and (owned.get(f.id) or f.ended_at and runs_of(evidence, f))
    ]
    tickets_hw = [len(owned.get(f.id, [])) for f in hardware]
    return {
        "automation": automation(evidence),
        "mttr": mttr(evidence),
        "pages_per_day": round((len(pages) + len(evidence.remediation_pages)) / days, 2),
        "pages": {
            "pagerduty_incidents": len(pages),
            "remediation_breakers": sum(1 for k, _ in evidence.remediation_pages if k.startswith("breaker-")),
            "remediation_runs": sum(1 for k, _ in evidence.remediation_pages if not k.startswith("breaker-")),
        },
        "tickets_per_day": round(len(evidence.tickets) / days, 2),
        "tickets": dict(by_path),
        "tickets_per_hardware_fault": round(sum(tickets_hw) / len(tickets_hw), 2) if tickets_hw else None,
        "hardware_faults": len(hardware),
        "gpu_hours_lost": gpu_hours_lost(evidence),
        "staff_steps": len(evidence.staff_steps),
        "runs": len(evidence.runs),
        "runs_by_state": dict(Counter(r["state"] for r in evidence.runs)),
    }
