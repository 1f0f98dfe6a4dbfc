"""Deploy enumerations: bring-up states (with their groups), rollout and decommission lifecycles."""

from __future__ import annotations

from fleetops.choices import Choice


class BringupState(Choice):
    ENROLLED = "enrolled", "Enrolled", "grey"
    POWER_ON = "power_on", "Powering on", "blue"
    PROVISIONING = "provisioning", "Provisioning", "blue"
    HARDENING = "hardening", "Hardening", "blue"
    QUALIFYING = "qualifying", "Qualifying", "blue"
    JOINING = "joining", "Joining", "blue"
    READY = "ready", "Ready", "green"
    FAILED_POWER_ON = "failed_power_on", "Power-on failed", "orange"
    FAILED_PROVISIONING = "failed_provisioning", "Provisioning failed", "orange"
    FAILED_HARDENING = "failed_hardening", "Hardening failed", "orange"
    FAILED_QUALIFYING = "failed_qualifying", "Qualification failed", "orange"
    FAILED_JOINING = "failed_joining", "Join failed", "orange"
    RETRYING = "retrying", "Retrying", "yellow"
    NEEDS_HUMAN = "needs_human", "Needs a human", "red"


class RolloutState(Choice):
    PLANNED = "planned", "Planned", "grey"
    RUNNING = "running", "Running", "blue"
    PAUSED = "paused", "Paused", "yellow"
    COMPLETED = "completed", "Completed", "green"
    ABORTED = "aborted", "Aborted", "grey"


class DecommissionState(Choice):
    DRAINING = "draining", "Draining", "orange"
    WIPING = "wiping", "Wiping", "orange"
    DONE = "done", "Done", "green"
    FAILED = "failed", "Failed", "red"


class RecoveryAction(Choice):
    RETRY = "retry", "Retry the step", "yellow"
    POWER_CYCLE = "power_cycle", "Power-cycle, then retry", "orange"
    REIMAGE = "reimage", "Re-image from provisioning", "orange"
    ESCALATE = "escalate", "Hand to a human", "red"
