"""Asset enumerations: the lifecycle, what an asset is, and spare part kinds."""

from __future__ import annotations

from fleetops.choices import Choice


class AssetState(Choice):
    ORDERED = "ordered", "Ordered", "grey"
    SHIPPED = "shipped", "Shipped (ASN)", "blue"
    DELIVERED = "delivered", "Delivered", "blue"
    RECEIVED = "received", "Received", "blue"
    RACKED = "racked", "Racked", "orange"
    DEPLOYED = "deployed", "Deployed", "green"
    REPAIR = "repair", "Repair", "red"
    RMA = "rma", "RMA", "red"
    RETIRED = "retired", "Retired", "grey"


class AssetKind(Choice):
    SERVER = "server", "Server", "blue"
    GPU = "gpu", "GPU", "green"
    SWITCH = "switch", "Switch", "blue"
    PART = "part", "Part", "grey"


class PartKind(Choice):
    OPTIC = "optic", "Optic", "blue"
    CABLE = "cable", "Cable", "blue"
    PSU = "psu", "PSU", "orange"
    GPU = "gpu", "GPU", "green"
    OTHER = "other", "Other", "grey"
