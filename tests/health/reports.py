"""Agent reports for the two-tenant test fleet (GPU UUIDs `GPU-<host>-<i>`, as the factories make)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

import msgspec

from fleetops import clock
from fleetops.wire import GpuReading, NodeReport, ReportBatch, XidEvent


def gpu(host: str, index: int, **fields: Any) -> GpuReading:
    base = {
        "index": index,
        "uuid": f"GPU-{host}-{index}",
        "pci_bus_id": f"0000:{0x18 + index:02x}:00",
        "temperature_c": 35.0,
        "power_w": 70.0,
        "power_limit_w": 700.0,
        "utilization_gpu_pct": 0.0,
    }
    return msgspec.convert(base | fields, GpuReading)


def report(
    host: str,
    *,
    gpus: list[GpuReading] | None = None,
    xids: list[XidEvent] | None = None,
    at: datetime | None = None,
    count: int = 8,
    **fields: Any,
) -> NodeReport:
    readings = gpus if gpus is not None else [gpu(host, i) for i in range(count)]
    return NodeReport(
        report_id=uuid4(),
        hostname=host,
        agent_version="test",
        collected_at=at or clock.now(),
        gpus=readings,
        xid_events=xids or [],
        **fields,
    )


def xid(code: int, index: int = 3, at: datetime | None = None, message: str = "") -> XidEvent:
    return XidEvent(
        code=code,
        gpu_index=index,
        pci_bus_id=f"0000:{0x18 + index:02x}:00",
        occurred_at=at or clock.now(),
        message=message or f"Xid {code}",
        raw=f"NVRM: Xid {code}",
    )


def body(*reports: NodeReport) -> bytes:
    return msgspec.json.encode(ReportBatch(reports=list(reports)))
