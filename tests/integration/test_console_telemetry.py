"""The node page's GPU telemetry from a real Prometheus scraping the agents' real /metrics endpoints
(tests/integration/prometheus_bed.py): the latest temperature, power and ECC counter of each GPU."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleetops.metrics_proxy import upstream
from tests.factories import two_tenant_fleet
from tests.integration.prometheus_bed import MISSING, NODE_EXPORTER, PROMETHEUS, Bed, prometheus_bed
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not (PROMETHEUS and NODE_EXPORTER), reason=MISSING)]
HOSTS = {"a001": 41.0, "b001": 77.0}  # each GPU reads base + its index °C and 300 + index W


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bed]:
    with prometheus_bed(tmp_path_factory.mktemp("telemetry"), two_tenant_fleet(3), HOSTS, []) as made:
        yield made


def test_the_node_page_reads_each_gpus_telemetry_from_prometheus(bed, client, tokens):
    previous = upstream.use(upstream.PrometheusClient(bed.url, 10))
    try:
        html = sign_in(client, tokens["initech"]).get("/nodes/a001").text
    finally:
        upstream.use(previous)
    assert 'id="telemetry-unavailable"' not in html
    for index in range(8):
        row = html.split(f'<tr id="gpu-{index}">')[1].split("</tr>")[0]
        temperature = row.split('class="telemetry temperature">')[1].split("</td>")[0]
        assert f">{41 + index} °C<" in temperature and "<polyline" in temperature
        assert f">{300 + index} W<" in row.split('class="telemetry power">')[1]
        assert '<span class="reading">0</span>' in row.split('class="telemetry ecc">')[1]
    assert "77 °C" not in html  # b001's readings stay on b001's page
