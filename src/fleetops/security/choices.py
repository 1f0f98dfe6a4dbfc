"""Security enumerations: severities with their SLA order, finding states, asset kinds, scanners."""

from __future__ import annotations

from fleetops.choices import Choice


class Severity(Choice):
    CRITICAL = "critical", "Critical", "red"
    HIGH = "high", "High", "orange"
    MEDIUM = "medium", "Medium", "yellow"
    LOW = "low", "Low", "blue"
    UNKNOWN = "unknown", "Unknown", "grey"

    @classmethod
    def read(cls, value: str | None) -> Severity:
        """A scanner's own word (Trivy's CRITICAL, XCCDF's high, ...) as ours; anything else is unknown."""
        return _SEVERITIES.get((value or "").strip().lower(), cls.UNKNOWN)


_SEVERITIES = {s.value: s for s in Severity}  # looked up for every finding of every import


class FindingStatus(Choice):
    OPEN = "open", "Open", "red"
    FIXED = "fixed", "Fixed", "green"
    ACCEPTED = "accepted", "Risk accepted", "yellow"


class AssetKind(Choice):
    NODE = "node", "Node", "blue"
    IMAGE = "image", "Container image", "blue"
    CLUSTER = "cluster", "Cluster", "blue"


class Scanner(Choice):
    TRIVY = "trivy", "Trivy", "blue"
    KUBE_BENCH = "kube-bench", "kube-bench", "blue"
    OPENSCAP = "openscap", "OpenSCAP (XCCDF/ARF)", "blue"
    LYNIS = "lynis", "Lynis", "blue"
    FRESHNESS = "fleetops", "fleetops scan freshness", "grey"


class ImportOutcome(Choice):
    ACCEPTED = "accepted", "Accepted", "green"
    UNCHANGED = "unchanged", "Unchanged (same file)", "grey"
    REJECTED = "rejected", "Rejected", "red"
    ABSENT = "absent", "Scanner absent", "orange"


class Component(Choice):
    """What a node runs, as the software and firmware inventory files it (`node_software.component`)."""

    KERNEL = "kernel", "Kernel", "blue"
    GPU_DRIVER = "gpu_driver", "GPU driver", "green"
    VBIOS = "vbios", "GPU VBIOS", "green"
    BMC = "bmc", "BMC firmware", "blue"
    BIOS = "bios", "BIOS / UEFI firmware", "blue"
    FIRMWARE = "firmware", "Other firmware", "grey"
