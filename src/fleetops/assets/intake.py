"""The feeds' one door: a file or posted records, through the vendor's mapping, applied in one transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fleetops.assets import events, feeds
from fleetops.auth.principal import Principal
from fleetops.backends.settings import VendorFeed
from fleetops.config import settings
from fleetops.errors import InvalidInput


def mapping_of(vendor: str | None) -> VendorFeed:
    if vendor is None:
        return feeds.IDENTITY
    found = settings().assets.vendors.get(vendor)
    if found is None:
        known = ", ".join(sorted(settings().assets.vendors)) or "none configured"
        raise InvalidInput(f"vendor {vendor!r}: no field mapping in [assets.vendors] (known: {known})")
    return found


def apply_rows(
    session: Session, principal: Principal, feed: str, rows: list[feeds.Row], mapping: VendorFeed
) -> dict[str, int]:
    principal.require_writer()
    return events.APPLY[feed](session, principal.actor, rows, mapping).as_dict()


def import_file(
    session: Session, principal: Principal, feed: str, vendor: str | None, source: str, fmt: str, text: str
) -> dict[str, int]:
    mapping = mapping_of(vendor)
    return apply_rows(session, principal, feed, feeds.read(text, fmt, feed, mapping, source), mapping)


def import_records(
    session: Session, principal: Principal, feed: str, vendor: str | None, records: list[dict[str, object]]
) -> dict[str, int]:
    mapping = mapping_of(vendor)
    rows = feeds.read_records(records, feed, mapping, f"POST /assets/events/{feed}")
    return apply_rows(session, principal, feed, rows, mapping)
