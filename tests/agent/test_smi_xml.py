import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetops.agent.collectors.smi_xml import SmiParseError, parse_smi_xml


def test_idle_capture(h100: Path) -> None:
    driver, gpus = parse_smi_xml((h100 / "nvidia-smi-q.xml").read_text())
    assert driver == "580.159.04" and len(gpus) == 1
    gpu = gpus[0]
    assert (gpu.name, gpu.uuid, gpu.pci_bus_id) == (
        "NVIDIA H100 80GB HBM3",
        "GPU-5f1b0c3e-7a2d-4e91-b8c4-0d6e2f9a1b37",
        "0000:00:06",
    )
    assert (gpu.temperature_c, gpu.power_w, gpu.power_limit_w) == (37.0, 127.58, 700.0)
    assert (gpu.pcie.gen, gpu.pcie.width, gpu.pcie.max_gen, gpu.pcie.max_width) == (5, 16, 5, 16)
    assert (
        gpu.ecc.uncorrected_volatile == 0 and gpu.remapped_rows is not None and not gpu.remapped_rows.pending
    )
    assert gpu.retired_pages is None  # "N/A" on H100: row remapping replaced page retirement
    assert gpu.clock_event_reasons == [] and gpu.compute_processes == 0


def test_load_capture_shows_power_cap_and_process(h100: Path) -> None:
    _, [gpu] = parse_smi_xml((h100 / "nvidia-smi-q-load.xml").read_bytes())
    assert gpu.clock_event_reasons == ["sw_power_cap"]
    assert gpu.utilization_gpu_pct == 99.0 and gpu.compute_processes == 1 and gpu.pcie.replay_counter == 1


@pytest.mark.parametrize(
    "text", ["", "<x/>", "<nvidia_smi_log><gpu>", "not xml at all", "<?xml version='1.0'?>"]
)
def test_garbage_raises_only_smi_parse_error(text: str) -> None:
    with pytest.raises(SmiParseError):
        parse_smi_xml(text)


@given(st.text(max_size=300))
def test_random_text_never_crashes(text: str) -> None:
    with contextlib.suppress(SmiParseError):
        parse_smi_xml(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_capture_never_crashes(h100: Path, data: st.DataObject) -> None:
    """Replace the text of random elements of the real capture: a weird value costs a field, not the GPU."""
    original = (h100 / "nvidia-smi-q.xml").read_text()
    lines = original.splitlines()
    for _ in range(data.draw(st.integers(1, 20))):
        index = data.draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        if ">" in line and "</" in line:
            start, end = line.index(">") + 1, line.index("</")
            if start > end or "<" in line[start:end]:
                continue
            junk = data.draw(
                st.sampled_from(["-1", "99999999 C", "N/A", "Active", "1e400", "x", "", "-5 W", "65x"])
            )
            lines[index] = line[:start] + junk + line[end:]
    driver, gpus = parse_smi_xml("\n".join(lines))
    assert len(gpus) == 1 and gpus[0].index == 0
