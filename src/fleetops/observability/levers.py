"""What brings the metrics bill down, each lever with the series it removes (counted on a real
Prometheus) and the signal it costs. Series are counted per host; `per_cpu` families grow with the
host's CPUs, which the test bed (a small container) has far fewer of than a GPU server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lever:
    name: str
    selector: str  # the series the lever removes (PromQL), on the node-exporter or agent jobs
    lost: str
    keeps_per_host: int = 0  # series that replace them (an aggregate), per host


LEVERS = (
    Lever(
        "drop node-exporter self-metrics",
        '{job="node", __name__=~"node_scrape_collector_.+|go_.+|process_.+|promhttp_.+"}',
        "the exporter's own health and timings (its `up` stays)",
    ),
    Lever(
        "drop interface metadata gauges",
        '{job="node", __name__=~"node_network_(iface_id|iface_link|iface_link_mode|device_id|flags|'
        "address_assign_type|name_assign_type|protocol_type|net_dev_group|dormant|carrier_changes_total|"
        'carrier_up_changes_total|carrier_down_changes_total)"}',
        "interface identifiers and flags (still in node_network_info)",
    ),
    Lever(
        "aggregate per-CPU time to per-mode",
        '{job="node", __name__=~"node_cpu_seconds_total|node_cpu_guest_seconds_total"}',
        "per-core CPU time (a stuck core shows only as a share of the host)",
        keeps_per_host=8,
    ),
    Lever(
        "drop counters' _created series",
        '{job="agent", __name__=~".+_created"}',
        "when a counter was created (rate() does not need it)",
    ),
)
PER_CPU = ('{job="node", cpu!=""}',)
