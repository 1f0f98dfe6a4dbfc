"""The cost model is Mimir's published arithmetic: checked by hand at round numbers."""

from __future__ import annotations

import pytest

from fleetops.observability.cost import Footprint, bill, capacity, dollars_per_host_hour
from fleetops.observability.settings import Observability, Prices


def test_capacity_follows_mimirs_figures_at_round_numbers():
    config = Observability(replication_factor=3, headroom=0.5, retention_days=365)
    used = capacity(Footprint(series=100_000, scrape_interval_s=15), config)
    # distributor 6,667 samples/s / 25k + ingester 300k in-memory / 300k + compactor 100k / 20M
    assert used.cores == pytest.approx(6_666.7 / 25_000 + 1 + 0.005, rel=1e-3)
    assert used.memory_gb == pytest.approx((6_666.7 / 25_000 + 2.5 + 0.02) * 1.5, rel=1e-3)
    assert used.disk_gb == pytest.approx((5 + 1.5 + 1.3) * 1.5, rel=1e-3)  # ingester, compactor, store


def test_price_per_host_hour_and_the_levers_scaling_of_todays_bill():
    config = Observability(prices=Prices(cpu_core_hour=1, memory_gb_hour=0, disk_gb_month=0))
    load = Footprint(series=3000, scrape_interval_s=15)
    assert dollars_per_host_hour(load, config) == pytest.approx(capacity(load, config).cores)
    assert bill(load, load, 0.0375, config) == pytest.approx(0.0375)
    fewer = bill(Footprint(1000, 30), load, 0.0375, config)
    assert 0 < fewer < 0.0375 / 2  # a third of the series, half the samples
