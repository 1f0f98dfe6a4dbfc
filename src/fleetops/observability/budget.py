"""The cardinality budget per exporter: series a host (or the control plane) may add to the metrics
store before the bill moves. Enforced by tests/integration/test_prometheus.py on a real Prometheus."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    per_host: float = 0  # series each scraped host may add
    per_cpu: float = 0  # and per CPU of that host (node-exporter's per-CPU families)
    total: float = 0  # series of a job scraped once for the fleet (the control plane)

    def allows(self, series: float, hosts: int, cpus: float) -> bool:
        return series <= (self.per_host + self.per_cpu * cpus) * hosts + self.total


BUDGETS = {
    "agent": Budget(per_host=64),  # 8 GPUs × 6 gauges and the agent's own; 56 measured
    "node": Budget(per_host=600, per_cpu=16),  # 512 measured on 2 CPUs, 13 of them per CPU
    "fleetops": Budget(total=400),  # the control plane's families; 168 measured
}


def over_budget(series_by_job: dict[str, float], hosts_by_job: dict[str, int], cpus: float) -> list[str]:
    return [
        f"{job}: {series:.0f} series for {hosts_by_job[job]} targets is over its budget {BUDGETS[job]}"
        for job, series in series_by_job.items()
        if job in BUDGETS and not BUDGETS[job].allows(series, hosts_by_job[job], cpus)
    ]
