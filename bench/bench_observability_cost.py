"""What observability costs per host-hour: series per host measured on a real Prometheus (Debian
`prometheus`) scraping the fleetops agent (8 GPUs a node), a real node-exporter and a control plane,
read from /api/v1/status/tsdb; then Mimir's capacity figures (observability/cost.py) price the
footprint, today's $0.0375/host-hour bill is scaled by the capacity each lever saves, and the levers are
applied one after another. Run:

    .venv/bin/python bench/bench_observability_cost.py [--host-cpus 192] [--fleet-hosts 1000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import repo_root  # noqa: F401  (the repository root on sys.path, for tests.*)
from tests.factories import two_tenant_fleet
from tests.integration.prometheus_bed import Bed, prometheus_bed

from fleetops.observability.cost import Footprint, bill, capacity, dollars_per_host_hour
from fleetops.observability.levers import LEVERS, PER_CPU
from fleetops.observability.settings import Observability

BASELINE_BILL, TARGET = 0.0375, 0.025
HOSTS = {f"a{i:03d}": 40.0 for i in range(3)} | {f"b{i:03d}": 80.0 for i in range(3)}


def count(bed: Bed, selector: str) -> float:
    found = bed.query(f"count({selector})")
    return float(found[0]["value"][1]) if found else 0.0


def measure(bed: Bed) -> dict[str, float]:
    """Series per job from the TSDB status (head series by `job=` pair), cross-checked by a query."""
    tsdb = bed.get("/api/v1/status/tsdb")
    pairs = {p["name"]: p["value"] for p in tsdb["seriesCountByLabelValuePair"]}
    by_job = {job: float(pairs.get(f"job={job}", count(bed, f'{{job="{job}"}}'))) for job in bed.jobs}
    for job, series in by_job.items():
        assert series == count(bed, f'{{job="{job}"}}'), f"tsdb status and query disagree on {job}"
    return {"head": tsdb["headStats"]["numSeries"], **by_job}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host-cpus", type=int, default=192, help="CPUs of the GPU server modelled")
    parser.add_argument(
        "--fleet-hosts", type=int, default=1000, help="hosts the control plane's series share"
    )
    parser.add_argument("--interval", type=float, default=15, help="today's scrape interval, s")
    args = parser.parse_args()
    config = Observability()
    with (
        tempfile.TemporaryDirectory() as tmp,
        prometheus_bed(Path(tmp), two_tenant_fleet(3), HOSTS, ["a000", "b000"]) as bed,
    ):
        jobs = measure(bed)
        agents, exporters = bed.jobs["agent"], bed.jobs["node"]
        cpus = count(bed, 'count by (cpu) (node_cpu_seconds_total{node="a000"})')
        per_cpu = count(bed, PER_CPU[0]) / exporters / cpus
        agent = jobs["agent"] / agents
        node_here = jobs["node"] / exporters
        node_real = node_here + per_cpu * (args.host_cpus - cpus)
        control = jobs["fleetops"] / args.fleet_hosts
        removed = []
        for lever in LEVERS:
            hosts = exporters if '"node"' in lever.selector else agents
            here = count(bed, lever.selector) / hosts
            scaled = here * args.host_cpus / cpus if "cpu" in lever.selector else here
            removed.append((lever, scaled - lever.keeps_per_host))
    print(f"measured on this machine (Prometheus /api/v1/status/tsdb, head series {jobs['head']:.0f}):")
    print(
        f"  agent {agent:.0f} series/host (8 GPUs), node-exporter {node_here:.0f}/host with {cpus:.0f} CPUs "
        f"({per_cpu:.1f} per CPU), control plane {jobs['fleetops']:.0f} in all"
    )
    per_host = agent + node_real + control
    print(
        f"modelled GPU server ({args.host_cpus} CPUs, control plane shared by {args.fleet_hosts} hosts): "
        f"{per_host:.0f} series/host"
    )
    base = Footprint(per_host, args.interval)
    used = capacity(base, config)
    own = dollars_per_host_hour(base, config)
    print(
        f"Mimir capacity per host: {used.cores * 1000:.1f} mcores, {used.memory_gb * 1000:.0f} MB, "
        f"{used.disk_gb:.2f} GB disk = ${own:.5f}/host-hour self-hosted at the configured prices"
    )
    print(f"\n{'lever':44} {'series/host':>11} {'$/host-hour':>12}  lost signal")
    print(f"{f'today (every series, {args.interval:g} s)':44} {per_host:11.0f} {BASELINE_BILL:12.4f}")
    series = per_host
    for lever, gone in removed:
        series -= gone
        cost = bill(Footprint(series, args.interval), base, BASELINE_BILL, config)
        print(f"{lever.name:44} {series:11.0f} {cost:12.4f}  {lever.lost}")
    final = bill(Footprint(series, 30), base, BASELINE_BILL, config)
    print(
        f"{'scrape every 30 s':44} {series:11.0f} {final:12.4f}  resolution: 30 s, detection slower by 15 s"
    )
    print(
        f"\nresult: ${final:.4f}/host-hour against ${BASELINE_BILL} today "
        f"({100 * (1 - final / BASELINE_BILL):.0f} % less); target ${TARGET}: "
        + ("met" if final <= TARGET else "NOT met")
    )


if __name__ == "__main__":
    main()
