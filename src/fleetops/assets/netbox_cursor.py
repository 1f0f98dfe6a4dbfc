"""How far the pull has read NetBox's change log.

The log is read from the moment fleetops first talked to this NetBox on: the first push or pull, whichever
comes first, sets the cursor at NetBox's latest change before it writes or reads anything. What NetBox held
before then is not a stream of edits against fleetops' model: an adopted device that NetBox places
elsewhere is a difference for a person (the drift report), never a placement to replay from history, and a
NetBox with years of change log is not read whole on the first pull."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.assets.models import NetboxCursor
from fleetops.db.session import Database

if TYPE_CHECKING:
    from fleetops.assets.netbox_sync import NetBox

CHANGES = "core/object-changes"


def position(session: Session) -> int | None:
    return session.scalar(select(NetboxCursor.last_id).where(NetboxCursor.source == CHANGES))


def start(database: Database, netbox: NetBox) -> None:
    """The cursor at NetBox's present, unless it is already somewhere."""
    with database.transaction() as session:
        if position(session) is not None:
            return
    latest = netbox.latest_id(CHANGES)
    with database.transaction() as session:
        if position(session) is None:
            move(session, latest)


def move(session: Session, last: int) -> None:
    cursor = session.scalar(select(NetboxCursor).where(NetboxCursor.source == CHANGES))
    if cursor is None:
        session.add(NetboxCursor(source=CHANGES, last_id=last, moved_at=clock.now()))
    else:
        cursor.last_id, cursor.moved_at = last, clock.now()
