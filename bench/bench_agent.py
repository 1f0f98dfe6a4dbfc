"""CPU cost of one agent collection cycle on an 8-GPU node, against the recorded NVML and nvidia-smi costs.

The fake NVML answers at zero cost, so what is measured is the agent's own overhead (collector logic,
building the readings, checks, building and serialising the report). The nvidia-smi fallback is measured
as the cost of parsing the real `nvidia-smi -q -x` capture, repeated for 8 GPUs. Run:

    .venv/bin/python bench/bench_agent.py [--cycles 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from fleetops.agent.collectors.fake_nvml import FakeNvml
from fleetops.agent.collectors.nvml import NvmlCollector
from fleetops.agent.collectors.smi_xml import parse_smi_xml
from fleetops.agent.node import AgentConfig, NodeAgent
from fleetops.wire import dump_report

FIXTURES = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "gpu" / "h100-sxm5"
).resolve()


def cpu_ms(fn, cycles: int) -> list[float]:
    samples = []
    for _ in range(cycles):
        start = time.process_time_ns()
        fn()
        samples.append((time.process_time_ns() - start) / 1e6)
    return samples


def eight_gpu_xml(text: str) -> str:
    """The single-GPU capture with its <gpu> element repeated to make an 8-GPU node."""
    start, end = text.index("<gpu "), text.rindex("</gpu>") + len("</gpu>")
    return text[:start] + "\n".join([text[start:end]] * 8) + text[end:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=300)
    cycles = parser.parse_args().cycles
    cost = json.loads((FIXTURES / "collect-cost.json").read_text())
    fake = FakeNvml.from_fixtures(FIXTURES, gpus=8, load=True)
    agent = NodeAgent(AgentConfig(hostname="bench", expected_gpus=8), [NvmlCollector(fake)], [])

    def cycle() -> None:
        fake.advance()
        dump_report(agent.collect())

    cpu_ms(cycle, 20)  # warm-up
    calls_before = fake.calls
    nvml_cycle = statistics.median(cpu_ms(cycle, cycles))
    calls_per_gpu = (fake.calls - calls_before) / cycles / 8
    readings_only = statistics.median(
        cpu_ms(lambda: NvmlCollector.read_gpus(agent.gpu_collectors[0]), cycles)
    )
    xml = eight_gpu_xml((FIXTURES / "nvidia-smi-q.xml").read_text())
    smi_parse = statistics.median(cpu_ms(lambda: parse_smi_xml(xml), max(30, cycles // 5)))
    per_call = cost["nvml_12_calls_self_cpu_ms"] / 12
    raw_nvml_8 = per_call * calls_per_gpu * 8
    total = nvml_cycle + raw_nvml_8
    smi_cpu = cost["nvidia_smi_qx_child_cpu_ms"]
    rows = [
        ("NVML calls per GPU per cycle", f"{calls_per_gpu:.1f} (recorded cost: 12 calls = 0.302 ms)"),
        ("agent overhead, full cycle, 8 GPUs (median)", f"{nvml_cycle:.3f} ms CPU"),
        ("  of which the NVML collector (readings to structs)", f"{readings_only:.3f} ms CPU"),
        ("raw NVML cost for those calls (collect-cost.json)", f"{raw_nvml_8:.3f} ms CPU"),
        ("estimated cycle on an 8x H100 node", f"{total:.3f} ms CPU (target <= 5 ms)"),
        ("agent overhead / raw NVML cost", f"{nvml_cycle / raw_nvml_8:.2f}x (target <= 2x)"),
        ("smi fallback: parse 8-GPU nvidia-smi -q -x (median)", f"{smi_parse:.3f} ms CPU"),
        ("  plus one nvidia-smi -q -x call (recorded, 1 GPU)", f"{smi_cpu:.1f} ms CPU"),
        ("NVML path vs nvidia-smi path", f"{(smi_cpu + smi_parse) / total:.1f}x cheaper (target >= 10x)"),
    ]
    print(f"cycles: {cycles}")
    for label, value in rows:
        print(f"{label:<52} {value}")


if __name__ == "__main__":
    main()
