"""The long soak: 7 simulated days of 2,000 nodes in service, for 5 seeds, through the production code paths.

Each seed is one `fleetops sim soak` (in-process, a throwaway SQLite each). Prints per seed the wall time
(goal: <= 10 min on 2 cores), the violations per invariant (goal: zero), and the figures measured from the
records: automation share (goal >= 90 %), tickets per hardware fault (goal 1.00), MTTR software and
hardware (hardware with the RMA wait, and the time to hand it off), pages and tickets per day, GPU-hours
lost. Then the totals over the seeds.

Run: `python bench/bench_soak.py` (BENCH_SEEDS=1,2 BENCH_DAYS=1 BENCH_NODES=500 to make it shorter;
BENCH_JSON=path writes every seed's full result).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fleetops.sim.soak import play_soak  # noqa: E402

warnings.filterwarnings("ignore")
SEEDS = [int(s) for s in os.environ.get("BENCH_SEEDS", "1,2,3,4,5").split(",")]
DAYS = float(os.environ.get("BENCH_DAYS", "7"))
NODES = int(os.environ.get("BENCH_NODES", "2000"))


def line(data: dict[str, Any]) -> str:
    m = data["measures"]
    mttr, automation = m["mttr"], m["automation"]
    share = "-" if automation["share"] is None else f"{automation['share']:.1%}"
    return (
        f"seed {data['seed']}: {data['wall_s']:.0f} s wall, {data['violations']} violations "
        f"{ {i['name']: i['violations'] for i in data['invariants'] if i['violations']} }; "
        f"{data['scenario']['faults']} faults; automation {share} "
        f"({automation['automated']}/{automation['finished']}, {automation['in_progress']} in progress); "
        f"tickets/hw fault {m['tickets_per_hardware_fault']}; pages/day {m['pages_per_day']}; "
        f"tickets/day {m['tickets_per_day']}; MTTR sw p50/p90 {mttr['software']['p50_min']}/"
        f"{mttr['software']['p90_min']} min, hw {mttr['hardware']['p50_min']}/{mttr['hardware']['p90_min']}, "
        f"hw with RMA {mttr['hardware_rma']['p50_min']}/{mttr['hardware_rma']['p90_min']} "
        f"(hand-off {mttr['hand_off']['p50_min']}/{mttr['hand_off']['p90_min']}); "
        f"GPU-hours lost {m['gpu_hours_lost']}"
    )


def main() -> None:
    print(f"soak: {DAYS:g} days x {NODES} nodes, seeds {SEEDS}", flush=True)
    results = []
    for seed in SEEDS:
        data = play_soak(seed=seed, days=DAYS, nodes=NODES).as_dict()
        results.append(data)
        print(line(data), flush=True)
        for invariant in data["invariants"]:
            for example in invariant["examples"][:2]:
                print(f"    {invariant['name']}: {example}", flush=True)
    per_invariant: dict[str, int] = {}
    for data in results:
        for invariant in data["invariants"]:
            per_invariant[invariant["name"]] = (
                per_invariant.get(invariant["name"], 0) + invariant["violations"]
            )
    walls = sorted(d["wall_s"] for d in results)
    print(
        f"all seeds: violations {per_invariant}; wall max {walls[-1]:.0f} s, "
        f"median {walls[len(walls) // 2]:.0f} s"
    )
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
