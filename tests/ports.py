"""A free TCP port for a server a test is about to start.

The port is picked below the kernel's ephemeral range, in a slice of its own per pytest-xdist worker.
Asking the kernel for port 0 and releasing it was racy: between the release and the server's bind,
any outgoing connection or `bind(0)` (an in-process agent's /metrics, another worker's client) could
be handed the same port, and the server then failed to start while its readiness probe was answered
by the stranger — a Prometheus that scraped an agent as "the control plane" counted 56 GPUs of 48."""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

_LOW, _HIGH = 10_000, 32_000  # below the default ephemeral range (32768-60999)


def _slice() -> range:
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32_768
    high = min(_HIGH, ephemeral_low)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    width = (high - _LOW) // max(workers, 1)
    start = _LOW + width * (worker % max(workers, 1))
    return range(start, start + width)


def _shuffled() -> list[int]:
    ports = list(_slice())
    random.shuffle(ports)
    return ports


_unused = _shuffled()


def free_port() -> int:
    """A port nobody listens on now, from this worker's slice, not handed out before by this process."""
    while _unused:
        port = _unused.pop()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"every port of {_slice()} is taken")
