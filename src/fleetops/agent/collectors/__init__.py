"""The agent's collectors, each behind one small interface: a missing source costs a reading, not the agent.

GpuCollector    NVML (nvml.py), or `nvidia-smi -q -x` (smi_xml.py) where the bindings are missing
EventCollector  kernel log XID and fatal driver lines (kmsg.py), NVML's XID event set (nvml.py)
links.py        InfiniBand ports and physical Ethernet interfaces from sysfs (state and counters)
"""

from __future__ import annotations

from typing import Protocol

from fleetops.errors import FleetopsError
from fleetops.wire import DriverEvent, GpuReading, XidEvent


class CollectorUnavailable(FleetopsError):
    """The source is absent here (no driver, no GPU, no permission): the agent says so and goes on."""

    code = "collector_unavailable"
    status = 503
    title = "Collector unavailable"


class GpuCollector(Protocol):
    name: str

    def read_gpus(self) -> list[GpuReading]: ...


class EventCollector(Protocol):
    name: str

    def read_events(self) -> tuple[list[XidEvent], list[DriverEvent]]: ...
