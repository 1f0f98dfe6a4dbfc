"""The asset lifecycle as data: one transition table, and the date column each state stamps."""

from __future__ import annotations

from fleetops.assets.choices import AssetState
from fleetops.errors import InvalidTransition

S = AssetState

TRANSITIONS: dict[AssetState, frozenset[AssetState]] = {
    # A vendor may deliver without an ASN we saw; an order can be cancelled before it ships.
    S.ORDERED: frozenset({S.SHIPPED, S.DELIVERED, S.RETIRED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.RECEIVED, S.RMA}),
    S.RECEIVED: frozenset({S.RACKED, S.RMA, S.RETIRED}),
    S.RACKED: frozenset({S.DEPLOYED, S.REPAIR, S.RMA, S.RETIRED}),
    S.DEPLOYED: frozenset({S.REPAIR, S.RMA, S.RETIRED}),
    S.REPAIR: frozenset({S.DEPLOYED, S.RACKED, S.RMA, S.RETIRED}),
    # A returned unit (or its replacement) comes back through receiving.
    S.RMA: frozenset({S.RECEIVED, S.RETIRED}),
    S.RETIRED: frozenset(),
}

# The lifecycle date each state stamps on the asset the first time it is entered (NetBox custom fields).
DATE_OF: dict[AssetState, str] = {
    S.ORDERED: "ordered_at",
    S.SHIPPED: "shipped_at",
    S.DELIVERED: "delivered_at",
    S.RECEIVED: "received_at",
    S.RACKED: "racked_at",
    S.DEPLOYED: "deployed_at",
    S.RETIRED: "retired_at",
}

# Where the pipeline is: a feed event never moves an asset backwards (a late ASN after delivery).
ORDER = (S.ORDERED, S.SHIPPED, S.DELIVERED, S.RECEIVED, S.RACKED, S.DEPLOYED)


def check(serial: str, old: AssetState, new: AssetState) -> None:
    if new not in TRANSITIONS[old]:
        options = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none (final)"
        raise InvalidTransition(
            f"asset {serial}: field state: {old.value} → {new.value} is not allowed "
            f"(from {old.value}: {options})"
        )


def reached(current: AssetState, target: AssetState) -> bool:
    """Whether an asset in `current` is already at or past `target` on the delivery path."""
    return current in ORDER and target in ORDER and ORDER.index(current) >= ORDER.index(target)
