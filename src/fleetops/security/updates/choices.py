"""Emergency update states: the run's, and each node's step."""

from __future__ import annotations

from fleetops.choices import Choice


class RunState(Choice):
    PLANNED = "planned", "Planned", "grey"
    RUNNING = "running", "Running", "blue"
    PAUSED = "paused", "Paused (a node failed)", "orange"
    COMPLETED = "completed", "Completed", "green"


class Step(Choice):
    PENDING = "pending", "Waiting for its turn", "grey"
    DRAINING = "draining", "Draining", "orange"
    UPDATING = "updating", "Updating", "orange"
    QUALIFYING = "qualifying", "Qualifying", "orange"
    RESUMING = "resuming", "Resuming", "orange"
    DONE = "done", "Updated and back in service", "green"
    FAILED = "failed", "Failed (left drained for a person)", "red"
