"""What observability costs per host-hour, from Grafana Mimir's published capacity-planning figures
(docs/sources/mimir/manage/run-production-environment/planning-capacity.md) and configurable prices.

Series drive the ingesters (held in memory RF times), samples per second the distributors, retained
series the store-gateways' and compactors' disks; Mimir advises 50 % headroom on memory and disk. The
figures are Mimir's own estimates for a general workload, not a measurement of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetops.observability.settings import Observability

HOURS_PER_MONTH = 730
# (cores, memory GB, disk GB) per unit of load, as Mimir publishes them
DISTRIBUTOR_PER_25K_SAMPLES_S = (1.0, 1.0, 0.0)
INGESTER_PER_300K_SERIES = (1.0, 2.5, 5.0)  # in-memory series: active series × replication factor
STORE_GATEWAY_DISK_GB_PER_1M_SERIES = 13.0  # at 1 year retention and a 15 s scrape interval
COMPACTOR_PER_20M_SERIES = (1.0, 4.0, 300.0)
QUERIER_PER_10_QPS = (1.0, 1.0, 0.0)


@dataclass(frozen=True)
class Footprint:
    """One host's load on the metrics store."""

    series: float
    scrape_interval_s: float
    queries_per_s: float = 0.0

    @property
    def samples_per_s(self) -> float:
        return self.series / self.scrape_interval_s


@dataclass(frozen=True)
class Capacity:
    cores: float
    memory_gb: float
    disk_gb: float


def capacity(load: Footprint, config: Observability) -> Capacity:
    parts = [
        [x * load.samples_per_s / 25_000 for x in DISTRIBUTOR_PER_25K_SAMPLES_S],
        [x * load.series * config.replication_factor / 300_000 for x in INGESTER_PER_300K_SERIES],
        [x * load.series / 20e6 for x in COMPACTOR_PER_20M_SERIES],
        [x * load.queries_per_s / 10 for x in QUERIER_PER_10_QPS],
    ]
    retained = (config.retention_days / 365) * (15 / load.scrape_interval_s)
    store_disk = STORE_GATEWAY_DISK_GB_PER_1M_SERIES * load.series / 1e6 * retained
    cores, memory, disk = (sum(p[i] for p in parts) for i in range(3))
    grow = 1 + config.headroom
    return Capacity(cores, memory * grow, (disk + store_disk) * grow)


def dollars_per_host_hour(load: Footprint, config: Observability) -> float:
    used, prices = capacity(load, config), config.prices
    disk_hour = prices.disk_gb_month / HOURS_PER_MONTH
    return (
        used.cores * prices.cpu_core_hour + used.memory_gb * prices.memory_gb_hour + used.disk_gb * disk_hour
    )


def bill(load: Footprint, baseline: Footprint, baseline_bill: float, config: Observability) -> float:
    """Today's bill scaled by the capacity each footprint needs: what `load` costs if the current bill
    (`baseline_bill` for `baseline`) moves with the Mimir capacity behind it."""
    return baseline_bill * dollars_per_host_hour(load, config) / dollars_per_host_hour(baseline, config)
