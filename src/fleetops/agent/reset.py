"""GPU resets the control plane asks for: only on an idle GPU, one at a time, never twice for one request.

`nvidia-smi -r [-i N]` in a subprocess with a timeout, not NVML: nvidia-ml-py (13.615 here) binds no
`nvmlDeviceResetGpu`, and nvidia-smi is what NVIDIA documents for the reset. Before it, the agent lets go
of NVML and turns persistence mode off on the GPUs where it was on: nvidia-smi refuses to reset a GPU any
NVML client or nvidia-persistenced holds ("In use by another client"); both come back afterwards.

Idle means NVML lists no compute or graphics process on the GPU; a GPU NVML cannot ask is never idle. A busy
GPU is retried BUSY_RETRY_S apart (the control plane told once, the request left open) and after
BUSY_TRIES tries (~5 min, inside remediation's 10 min for the step) the reset is refused with the PIDs.

Resets run inside the agent's one loop, synchronously, one request per cycle: never two at once. A journal
in the spool directory (`gpu-resets.json`, written atomically) records a request as started before
nvidia-smi runs and its outcome after, so a request offered again (its result still in the spool, or the
agent restarted) gets the recorded result again, and one started but never finished (the agent killed
mid-reset) is reported failed, never run a second time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetops import clock
from fleetops.agent.collectors.nvml import NvmlCollector
from fleetops.agent.demand import BUSY_RETRY_S, Ask, Demand
from fleetops.wire import GpuResetResult, ResetOutcome

log = logging.getLogger(__name__)
BUSY_TRIES = 10
RESET_TIMEOUT_S = 120.0
JOURNAL_KEEP = 200  # requests remembered; far more than a node sees between two offers of one request
STARTED, DONE = "started", "done"


class ResetJournal:
    """Request id → where its reset stands (busy tries, started, done with outcome), kept on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, request_id: int) -> dict[str, Any]:
        entry = self._read().get(str(request_id))
        return entry if isinstance(entry, dict) else {}

    def put(self, request_id: int, entry: dict[str, Any]) -> None:
        data = self._read()
        data.pop(str(request_id), None)
        data[str(request_id)] = entry  # newest last, so the oldest go first past the cap
        data = dict(list(data.items())[-JOURNAL_KEEP:])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".tmp-{self.path.name}")
        with open(temporary, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())  # "started" must be on disk before nvidia-smi runs
        os.replace(temporary, self.path)


def _which(gpu_index: int | None) -> str:
    return "every GPU" if gpu_index is None else f"GPU {gpu_index}"


@dataclass
class GpuResetter:
    journal: ResetJournal
    smi: str = "nvidia-smi"
    timeout_s: float = RESET_TIMEOUT_S

    def serve(
        self, ask: Ask, nvml: NvmlCollector | None, demand: Demand, now: float
    ) -> GpuResetResult | None:
        """One cycle's work on a reset request: a result to report (final, or a busy notice), or None."""
        entry = self.journal.get(ask.id)
        if entry.get("state") == DONE:
            demand.done(ask)
            return self._result(ask, ResetOutcome(entry["outcome"]), entry["detail"])
        if entry.get("state") == STARTED:
            demand.done(ask)
            why = "the agent restarted during this reset; not run a second time, its outcome is unknown"
            return self._finish(ask, ResetOutcome.FAILED, why)
        which = _which(ask.gpu_index)
        targets = self._targets(ask, nvml)
        users = {index: nvml.processes(index) if nvml else None for index in targets}
        busy = {index: pids for index, pids in users.items() if pids is None or pids}
        if nvml is None:
            reason = f"NVML is not running on this node: cannot tell whether {which} is in use"
        elif not targets:
            reason = f"{which} not found by NVML ({nvml.gpu_count} GPUs)"
        elif any(pids is None for pids in busy.values()):
            reason = f"cannot tell whether {which} is in use (NVML did not answer)"
        elif busy:
            reason = f"a process uses {which}"
        else:
            return self._start(ask, demand, targets, nvml)
        return self._busy(ask, demand, now, reason, busy, int(entry.get("tries", 0)) + 1)

    def _start(self, ask: Ask, demand: Demand, targets: list[int], nvml: NvmlCollector) -> GpuResetResult:
        demand.done(ask)
        try:
            self.journal.put(ask.id, {"state": STARTED, "at": clock.now().isoformat()})
        except OSError as exc:  # a reset the agent could not remember might run twice: not run at all
            return self._result(ask, ResetOutcome.REFUSED, f"cannot write the reset journal: {exc}")
        outcome, detail = self._reset(ask.gpu_index, targets, nvml)
        return self._finish(ask, outcome, detail)

    @staticmethod
    def _targets(ask: Ask, nvml: NvmlCollector | None) -> list[int]:
        count = nvml.gpu_count if nvml else 0
        if ask.gpu_index is None:
            return list(range(count))
        return [ask.gpu_index] if ask.gpu_index < count else []

    def _busy(
        self, ask: Ask, demand: Demand, now: float, reason: str, busy: dict[int, list[int] | None], tries: int
    ) -> GpuResetResult | None:
        """Not now: say so once and try again; refused for good after BUSY_TRIES tries."""
        if tries >= BUSY_TRIES:
            users = "; ".join(
                f"GPU {i}: " + (", ".join(f"pid {p}" for p in pids) if pids else "processes unknown")
                for i, pids in sorted(busy.items())
            )
            demand.done(ask)
            why = f"{reason}, still after {tries} tries {BUSY_RETRY_S:g} s apart"
            return self._finish(ask, ResetOutcome.REFUSED, f"{why} ({users})" if users else why)
        with contextlib.suppress(OSError):  # losing the count only lets a busy GPU be asked longer
            self.journal.put(ask.id, {"state": "busy", "tries": tries})
        if demand.defer(ask, now, BUSY_RETRY_S, reason):
            return self._result(ask, ResetOutcome.BUSY, f"{reason}; trying again in {BUSY_RETRY_S:g} s")
        return None

    def _reset(
        self, gpu_index: int | None, targets: list[int], nvml: NvmlCollector
    ) -> tuple[ResetOutcome, str]:
        persistent = [index for index in targets if nvml.persistence_mode(index)]
        selector = [] if gpu_index is None else ["-i", str(gpu_index)]
        with nvml.released():
            for index in persistent:
                self._smi("-pm", "0", "-i", str(index))  # if this fails, the reset says why
            try:
                code, text = self._smi("-r", *selector)
            finally:
                for index in persistent:
                    self._smi("-pm", "1", "-i", str(index))
        command = " ".join(["nvidia-smi -r", *selector])
        if code == 0:
            return ResetOutcome.OK, f"{_which(gpu_index)} reset: {text or 'nvidia-smi said nothing'}"
        return ResetOutcome.FAILED, f"{command} failed ({code}): {text or 'no output'}"

    def _smi(self, *args: str) -> tuple[int | str, str]:
        try:
            done = subprocess.run(
                [self.smi, *args], capture_output=True, text=True, timeout=self.timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            return "timeout", f"no answer within {self.timeout_s:g} s"
        except OSError as exc:  # not installed, not executable
            return "not run", str(exc)
        text = " ".join(f"{done.stdout}\n{done.stderr}".split())
        return done.returncode, text[-1500:]

    def _finish(self, ask: Ask, outcome: ResetOutcome, detail: str) -> GpuResetResult:
        entry = {
            "state": DONE,
            "outcome": outcome.value,
            "detail": detail[:2000],
            "at": clock.now().isoformat(),
        }
        try:
            self.journal.put(ask.id, entry)
        except OSError as exc:  # "started" is on disk: offered again, it is reported failed, not rerun
            log.error("GPU reset request %d: outcome not journaled: %s", ask.id, exc)
        log.warning("GPU reset request %d (%s): %s: %s", ask.id, _which(ask.gpu_index), outcome.value, detail)
        return self._result(ask, outcome, detail)

    @staticmethod
    def _result(ask: Ask, outcome: ResetOutcome, detail: str) -> GpuResetResult:
        return GpuResetResult(
            request_id=ask.id, outcome=outcome, at=clock.now(), gpu_index=ask.gpu_index, detail=detail[:2000]
        )
