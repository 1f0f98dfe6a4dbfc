import json
from pathlib import Path

import pynvml
import pytest

from fleetops import clock
from fleetops.agent.collectors import CollectorUnavailable
from fleetops.agent.collectors.fake_nvml import FakeNvml
from fleetops.agent.collectors.nvml import NvmlCollector, NvmlXidEvents
from fleetops.wire import NodeReport, dump_report, parse_report


def test_readings_match_the_h100_capture(h100: Path) -> None:
    fake = FakeNvml.from_fixtures(h100, gpus=8)
    collector = NvmlCollector(fake)
    collector.start()
    gpus = collector.read_gpus()
    assert len(gpus) == 8 and collector.driver_version == "580.159.04"
    gpu = gpus[0]
    assert (gpu.temperature_c, gpu.power_w, gpu.power_limit_w) == (36, 117.429, 700.0)
    assert gpu.clock_event_reasons == ["gpu_idle"]
    assert (gpu.pcie.gen, gpu.pcie.max_gen, gpu.pcie.width, gpu.pcie.max_width) == (5, 5, 16, 16)
    assert gpu.remapped_rows is not None and gpu.remapped_rows.failure is False
    assert gpu.retired_pages is None and gpu.nvlinks == []  # Not Supported in the VM capture
    assert len({g.pci_bus_id for g in gpus}) == 8


def test_unsupported_calls_are_not_repeated(h100: Path) -> None:
    fake = FakeNvml.from_fixtures(h100, gpus=1)
    collector = NvmlCollector(fake)
    collector.start()
    collector.read_gpus()
    first = fake.calls
    collector.read_gpus()
    second = fake.calls - first
    collector.read_gpus()
    assert fake.calls - first - second == second
    assert second <= 20


def test_load_series_replays(fake_nvml: FakeNvml) -> None:
    collector = NvmlCollector(fake_nvml)
    collector.start()
    fake_nvml.advance()
    gpu = collector.read_gpus()[3]
    assert gpu.utilization_gpu_pct == 100 and gpu.power_w == pytest.approx(697.632)
    assert gpu.clock_event_reasons == ["sw_power_cap"] and gpu.pcie.replay_counter == 1


def test_lost_gpu_and_nvlink(fake_nvml: FakeNvml) -> None:
    fake_nvml.set(1, "NvLinkState", {"0": 1, "1": 0})
    collector = NvmlCollector(fake_nvml)
    collector.start()
    fake_nvml.lose(2)
    gpus = collector.read_gpus()
    assert [(link.link, link.up) for link in gpus[1].nvlinks] == [(0, True), (1, False)]
    assert gpus[2].lost and gpus[2].uuid is not None and gpus[2].temperature_c is None


def test_no_driver_is_collector_unavailable(h100: Path) -> None:
    fake = FakeNvml.from_fixtures(h100)
    fake.init_error = pynvml.NVML_ERROR_LIBRARY_NOT_FOUND
    with pytest.raises(CollectorUnavailable, match="cannot initialise NVML"):
        NvmlCollector(fake).start()


def test_xid_event_set(fake_nvml: FakeNvml) -> None:
    collector = NvmlCollector(fake_nvml)
    collector.start()
    events = NvmlXidEvents(collector)
    events.start()
    fake_nvml.push_xid(5, 79)
    xids, _ = events.read_events()
    assert [(x.code, x.gpu_index, x.source) for x in xids] == [(79, 5, "nvml")]
    assert events.read_events() == ([], [])


def test_the_vbios_travels_per_gpu_and_an_older_agents_report_without_it_is_accepted(h100: Path) -> None:
    fake = FakeNvml.from_fixtures(h100, gpus=2)
    fake.fail(1, "VbiosVersion")
    collector = NvmlCollector(fake)
    collector.start()
    gpus = collector.read_gpus()
    assert [g.vbios_version for g in gpus] == ["96.00.DA.00.0C", None]  # as nvidia-smi -q printed it
    report = NodeReport(hostname="gpu-001", agent_version="0.1.0", collected_at=clock.now(), gpus=gpus)
    assert parse_report(dump_report(report)).gpus[0].vbios_version == "96.00.DA.00.0C"
    older = json.loads(dump_report(report))
    for gpu in older["gpus"]:
        gpu.pop("vbios_version", None)
    assert [g.vbios_version for g in parse_report(json.dumps(older).encode()).gpus] == [None, None]
