"""The control plane's requests (qualify, reset a GPU), pulled from its answers to this agent's reports.

The control plane never calls the agent (firewalls around GPU nodes let only the agent's HTTPS out), so a
request arrives in the answer to a report POST and its result leaves in a later report. A request the
agent cannot serve now is retried, and its reason is reported once (not every 30 s):

    GPUs busy (a workload holds them)    retried next cycle, after BUSY_RETRY_S
    no PyTorch, no GPU readings          retried after UNAVAILABLE_RETRY_S
For a qualification both are sent as a "could not qualify" result (no GPU measured): the control plane
keeps it for the record but never counts it as a pass or a failure, so the request stays open. A reset
of a busy GPU is retried BUSY_RETRY_S apart at most `reset.BUSY_TRIES` times, then refused (agent/reset.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fleetops import clock
from fleetops.wire import MAX_GPUS, QualificationResult, RequestKind

log = logging.getLogger(__name__)
BUSY_RETRY_S = 30.0
UNAVAILABLE_RETRY_S = 900.0
MAX_DURATION_S = 3600.0
NOT_RUN_BACKEND = "none"


@dataclass(slots=True)
class Ask:
    id: int
    kind: RequestKind = RequestKind.QUALIFY
    duration_s: float = 60.0  # qualify: seconds of load per GPU
    gpu_index: int | None = None  # reset_gpu: the GPU, None for every GPU of the node
    next_try: float = 0.0  # monotonic seconds
    told: str = ""  # the last "not now" reason sent for this request


def could_not_qualify(reason: str) -> QualificationResult:
    now = clock.now()
    return QualificationResult(
        started_at=now,
        finished_at=now,
        backend=NOT_RUN_BACKEND,
        model="unknown",
        duration_s=0,
        passed=False,
        reason=f"could not qualify: {reason}"[:2048],
    )


def _parse(item: Any) -> Ask | None:
    """One request from the server's answer; anything malformed is logged and skipped, never fatal."""
    kinds = {kind.value for kind in RequestKind}
    if not isinstance(item, dict) or item.get("kind") not in kinds or not isinstance(item.get("id"), int):
        log.warning("ignoring a request this agent does not understand: %.200r", item)
        return None
    if item["kind"] == RequestKind.RESET_GPU:
        index = item.get("gpu_index")
        if index is not None and (not isinstance(index, int) or not 0 <= index < MAX_GPUS):
            log.warning("ignoring a GPU reset for no GPU this agent knows: %.200r", item)
            return None
        return Ask(item["id"], RequestKind.RESET_GPU, gpu_index=index)
    try:
        duration = float(item.get("duration_s", 60))
    except (TypeError, ValueError):
        duration = 60.0
    return Ask(item["id"], RequestKind.QUALIFY, min(max(duration, 1.0), MAX_DURATION_S))


class Demand:
    """The open requests this agent knows of, with when each may be tried again."""

    def __init__(self) -> None:
        self.asks: dict[int, Ask] = {}

    def update(self, requests: list[Any] | None) -> None:
        """The server's latest word replaces ours (a fulfilled request disappears from it); None means it
        said nothing about this node this time, so nothing changes. Retry timers of known ids survive."""
        if requests is None:
            return
        fresh = {ask.id: ask for ask in map(_parse, requests) if ask is not None}
        self.asks = {i: self.asks.get(i, ask) for i, ask in fresh.items()}

    def due(self, now: float, kind: RequestKind = RequestKind.QUALIFY) -> Ask | None:
        return next((a for a in self.asks.values() if a.kind is kind and a.next_try <= now), None)

    def done(self, ask: Ask) -> None:
        """Served (pass or fail): the result is on its way and the server will close the request."""
        self.asks.pop(ask.id, None)

    def defer(self, ask: Ask, now: float, after_s: float, reason: str) -> bool:
        """Try again later; True when the reason is new, so the caller tells the server once."""
        ask.next_try = now + after_s
        if reason == ask.told:
            return False
        ask.told = reason
        log.warning("%s request %d deferred %.0f s: %s", ask.kind.value, ask.id, after_s, reason)
        return True
