"""A node's record of each step over its whole bring-up, kept in the row's evidence (a JSON column).

Per step: `runs` numbers each start (a retry, a re-image pass are new runs), so a backend's request key
is fresh per run yet stable across polls and crashes; `failures` is the rung the step's recovery ladder
stands on, never reset by another step's failure; `held_s` is how long limits (the site's imaging cap,
a rate limit) kept the step from starting, so a slow node can be told apart from a slow engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fleetops.deploy.choices import BringupState

KEY = "steps"
RUNS, FAILURES, HELD_S = "runs", "failures", "held_s"
HELD_SINCE = "held_since"


def read(evidence: dict[str, Any], step: BringupState, what: str) -> float:
    return (evidence.get(KEY) or {}).get(step.value, {}).get(what, 0)


def _entry(evidence: dict[str, Any], step: BringupState) -> dict[str, Any]:
    """The step's entry, copied before it changes: the row read at claim time stays as it was."""
    ledger = {name: dict(entry) for name, entry in (evidence.get(KEY) or {}).items()}
    evidence[KEY] = ledger
    return ledger.setdefault(step.value, {})


def count(evidence: dict[str, Any], step: BringupState, what: str) -> int:
    """One more run or failure of `step` (evidence changed in place); returns the new count."""
    entry = _entry(evidence, step)
    entry[what] = int(entry.get(what, 0)) + 1
    return int(entry[what])


def hold(evidence: dict[str, Any], step: BringupState, now: datetime) -> None:
    """A limit held the step back; the hold lasts from its first deferral until the step starts."""
    if HELD_SINCE not in (evidence.get(KEY) or {}).get(step.value, {}):
        _entry(evidence, step)[HELD_SINCE] = now.isoformat()


def release(evidence: dict[str, Any], step: BringupState, now: datetime) -> None:
    """The step starts: a hold it was under ends, its length added to the step's `held_s`."""
    if HELD_SINCE in (evidence.get(KEY) or {}).get(step.value, {}):
        entry = _entry(evidence, step)
        since = datetime.fromisoformat(entry.pop(HELD_SINCE))
        entry[HELD_S] = round(entry.get(HELD_S, 0) + (now - since).total_seconds(), 1)


def forgive(evidence: dict[str, Any]) -> dict[str, Any]:
    """A person fixed the node: every step gets a fresh ladder; runs keep counting (keys stay fresh)."""
    ledger = {name: {**entry, FAILURES: 0} for name, entry in (evidence.get(KEY) or {}).items()}
    return {**evidence, KEY: ledger}
