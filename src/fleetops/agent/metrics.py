"""The agent's local /metrics endpoint: Prometheus can scrape a node while the control plane is down."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from fleetops.agent.spool import SpoolStatus
from fleetops.wire import NodeReport

_GPU = ("gpu", "uuid")


class AgentMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        gauge = self._gauge
        self.temperature = gauge("fleetops_agent_gpu_temperature_celsius", "GPU temperature", _GPU)
        self.power = gauge("fleetops_agent_gpu_power_watts", "GPU power draw", _GPU)
        self.utilization = gauge("fleetops_agent_gpu_utilization_ratio", "GPU utilization, 0-1", _GPU)
        self.ecc_uncorrected = gauge(
            "fleetops_agent_gpu_ecc_uncorrected_volatile", "Uncorrectable ECC errors since reset", _GPU
        )
        self.clock_events = gauge(
            "fleetops_agent_gpu_clock_event_mask", "NVML clock-event reasons bitmask", _GPU
        )
        self.findings = gauge("fleetops_agent_findings", "Findings in the last cycle", ("severity", "kind"))
        self.gpus = gauge("fleetops_agent_gpus_visible", "GPUs the agent can read", ())
        self.spool_files = gauge("fleetops_agent_spool_reports", "Reports waiting in the spool", ())
        self.spool_bytes = gauge("fleetops_agent_spool_bytes", "Bytes waiting in the spool", ())
        self.spool_dropped = gauge("fleetops_agent_spool_dropped", "Reports dropped over the spool cap", ())
        self.cycle_seconds = gauge("fleetops_agent_cycle_cpu_seconds", "CPU time of the last cycle", ())
        self.sent = Counter(
            "fleetops_agent_reports_delivered", "Reports the server accepted", registry=self.registry
        )
        self.poisoned = Counter(
            "fleetops_agent_reports_poisoned", "Reports the server refused", registry=self.registry
        )
        self.send_errors = Counter(
            "fleetops_agent_send_errors", "Failed delivery attempts", registry=self.registry
        )

    def _gauge(self, name: str, doc: str, labels: tuple[str, ...]) -> Gauge:
        return Gauge(name, doc, labels, registry=self.registry)

    def observe(self, report: NodeReport, cycle_cpu_s: float) -> None:
        for gpu in report.gpus:
            labels = (str(gpu.index), gpu.uuid or "")
            pairs = (
                (self.temperature, gpu.temperature_c),
                (self.power, gpu.power_w),
                (
                    self.utilization,
                    None if gpu.utilization_gpu_pct is None else gpu.utilization_gpu_pct / 100,
                ),
                (self.ecc_uncorrected, gpu.ecc.uncorrected_volatile),
                (self.clock_events, gpu.clock_event_mask),
            )
            for gauge, value in pairs:
                if value is not None:
                    gauge.labels(*labels).set(value)
        self.findings.clear()
        for finding in report.findings:
            self.findings.labels(finding.severity.value, finding.kind.value).inc()
        self.gpus.set(len(report.gpus))
        self.cycle_seconds.set(cycle_cpu_s)

    def observe_spool(self, status: SpoolStatus) -> None:
        self.spool_files.set(status.files)
        self.spool_bytes.set(status.bytes)
        self.spool_dropped.set(status.dropped)

    def serve(self, addr: str, port: int) -> None:
        start_http_server(port, addr=addr, registry=self.registry)
