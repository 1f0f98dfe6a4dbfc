"""Remediation enumerations: run states (with their groups), actions, outcomes and fault classes."""

from __future__ import annotations

from fleetops.choices import Choice


class RunState(Choice):
    PENDING = "pending", "Pending", "grey"
    QUARANTINED = "quarantined", "Quarantined", "orange"
    DRAINING = "draining", "Draining", "orange"
    ACTING = "acting", "Acting", "blue"
    VERIFYING = "verifying", "Verifying", "blue"
    RESOLVED = "resolved", "Resolved", "green"
    ESCALATED = "escalated", "Escalated", "red"
    CANCELLED = "cancelled", "Cancelled", "grey"


class ActionKind(Choice):
    """What a policy may ask for; the escalation ladder is reset_gpu → reboot_node → power_cycle → rma."""

    NOTIFY_CUSTOMER = "notify_customer", "Tell the customer", "grey"
    DRAIN = "drain", "Drain the node", "orange"
    RESET_GPU = "reset_gpu", "Reset the GPU", "blue"
    REBOOT_NODE = "reboot_node", "Reboot the node (BMC)", "blue"
    CHECK_POWER = "check_power", "Read BMC power state", "grey"
    POWER_CYCLE = "power_cycle", "Power-cycle the node (BMC)", "orange"
    VERIFY = "verify", "Verify under load", "blue"
    RMA_TICKET = "rma_ticket", "Open a supplier RMA ticket", "red"
    CONTACT_SUPPLIER = "contact_supplier", "Contact the supplier", "red"


class Outcome(Choice):
    OK = "ok", "Done", "green"
    WAITING = "waiting", "Waiting", "blue"
    FAILED = "failed", "Failed", "red"
    DEFERRED = "deferred", "Deferred", "grey"
    DRY_RUN = "dry_run", "Dry run (not executed)", "grey"
    SKIPPED = "skipped", "Skipped", "grey"


class FaultClass(Choice):
    """MTTR goals differ: software faults within 15 min, hardware faults within 4 h."""

    SOFTWARE = "software", "Software", "blue"
    HARDWARE = "hardware", "Hardware", "red"
    APPLICATION = "application", "Application", "grey"


class BreakerState(Choice):
    CLOSED = "closed", "Closed", "green"
    OPEN = "open", "Open (tripped)", "red"
