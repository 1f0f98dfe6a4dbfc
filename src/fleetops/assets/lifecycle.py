"""Every lifecycle move of an asset goes through `move`: checked against the table, dated, history, audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops.assets import fsm
from fleetops.assets.choices import AssetKind, AssetState
from fleetops.assets.models import Asset, AssetTransition
from fleetops.audit.service import Change, record
from fleetops.errors import InvalidInput
from fleetops.inventory.models import Gpu, Node

# States in which a server must be the inventory node of the same serial (racked and beyond).
LINKED = frozenset({AssetState.RACKED, AssetState.DEPLOYED, AssetState.REPAIR})


def move(session: Session, actor: str, asset: Asset, to: AssetState, *, at: datetime, reason: str) -> bool:
    """Move `asset` to `to`; False when it is there already, so a replayed event changes nothing."""
    old = AssetState(asset.state)
    if old is to:
        return False
    fsm.check(asset.serial, old, to)
    if to in LINKED and asset.node_id is None:
        asset.node_id = node_of(session, asset)
    asset.state = to
    column = fsm.DATE_OF.get(to)
    if column is not None and getattr(asset, column) is None:
        setattr(asset, column, at)
    session.flush()
    history(session, actor, asset, old, to, at=at, reason=reason)
    change = {"state": [old.value, to.value], "at": at.isoformat(), "reason": reason[:500]}
    record(session, actor, Change("asset.transition", "asset", asset.serial, change))
    return True


def history(
    session: Session,
    actor: str,
    asset: Asset,
    old: AssetState | None,
    to: AssetState,
    *,
    at: datetime,
    reason: str,
) -> None:
    """One row of the asset's history: a move, or its birth (from no state) when an ASN creates it."""
    session.add(
        AssetTransition(
            asset_id=asset.id,
            at=at,
            actor=actor,
            from_state=old.value if old else None,
            to_state=to.value,
            reason=reason[:500],
        )
    )


def node_of(session: Session, asset: Asset) -> int:
    """The inventory node a server is (same serial), or that holds a GPU (the GPU's serial)."""
    if asset.kind is AssetKind.GPU:
        stmt = select(Gpu.node_id).where(Gpu.serial == asset.serial)
    else:
        stmt = select(Node.id).where(Node.serial == asset.serial)
    node_id = session.scalar(stmt)
    if node_id is None:
        what = "GPU" if asset.kind is AssetKind.GPU else "node"
        raise InvalidInput(
            f"asset {asset.serial}: field serial: no inventory {what} has this serial: import it first"
        )
    return node_id
