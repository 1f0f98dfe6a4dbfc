"""The quarterly access review: a checklist opened on the latest snapshot, one item per person with
standing production access (keep or revoke) and the fixed steps every review takes; signed off by
someone other than the one who opened it, once nothing is pending."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.audit.service import Change, record
from fleetops.auth.principal import Principal
from fleetops.errors import Conflict, Forbidden, InvalidInput, NotFound
from fleetops.security.access import service
from fleetops.security.access.choices import ReviewDecision
from fleetops.security.access.models import AccessReach, AccessReview, AccessReviewItem

QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
STEPS = (
    "Import this quarter's Tailscale policy, Teleport roles and directory (snapshot {snapshot})",
    "Resolve every flag of snapshot {snapshot}, or record why it stays",
    "Compare unnecessary production access with the baseline (the report's reduction)",
    "Check that every time-bound grant of the quarter ended by itself or was revoked",
    "Re-justify break-glass and wildcard roles and their owners",
)
D = ReviewDecision


def open_review(session: Session, who: Principal, quarter: str) -> AccessReview:
    who.require(*service.WRITERS)
    if not QUARTER.match(quarter):
        raise InvalidInput(f"access review: field quarter: {quarter!r} is not like 2026-Q1")
    if session.scalar(select(AccessReview.id).where(AccessReview.quarter == quarter)) is not None:
        raise Conflict(f"access review {quarter} is already open")
    snapshot = service.snapshot(session, who)
    row = AccessReview(quarter=quarter, snapshot_id=snapshot.id, opened_by=who.actor)
    session.add(row)
    session.flush()
    texts: list[tuple[str, str | None]] = [(step.format(snapshot=snapshot.id), None) for step in STEPS]
    standing = session.execute(
        select(AccessReach.user, AccessReach.role, func.count())
        .where(AccessReach.snapshot_id == snapshot.id, AccessReach.standing.is_(True))
        .group_by(AccessReach.user, AccessReach.role)
        .order_by(AccessReach.user)
    )
    for user, role, paths in standing:
        texts.append(
            (f"Standing production access of {user} ({role or 'not in the directory'}): {paths} paths", user)
        )
    session.add_all(
        AccessReviewItem(review_id=row.id, position=i, text=text, user=user)
        for i, (text, user) in enumerate(texts, 1)
    )
    record(session, who.actor, Change("access.review.open", "access_review", quarter, {"items": len(texts)}))
    return row


def get(session: Session, who: Principal, quarter: str) -> tuple[AccessReview, Sequence[AccessReviewItem]]:
    who.require_staff()
    row = session.scalar(select(AccessReview).where(AccessReview.quarter == quarter))
    if row is None:
        raise NotFound(f"no access review {quarter}")
    items = session.scalars(
        select(AccessReviewItem)
        .where(AccessReviewItem.review_id == row.id)
        .order_by(AccessReviewItem.position)
    ).all()
    return row, items


def decide_item(
    session: Session, who: Principal, quarter: str, position: int, decision: ReviewDecision, note: str
) -> AccessReviewItem:
    """A step is `done`; a person's access is `keep` or `revoke`."""
    who.require(*service.WRITERS)
    review, items = get(session, who, quarter)
    if review.signed_off_at is not None:
        raise InvalidInput(f"access review {quarter} is signed off; it no longer changes")
    item = next((i for i in items if i.position == position), None)
    if item is None:
        raise NotFound(f"access review {quarter} has no item {position}")
    allowed = (D.KEEP, D.REVOKE) if item.user else (D.DONE,)
    if decision not in allowed:
        raise InvalidInput(
            f"item {position}: field decision: {decision.value} (allowed: {', '.join(allowed)})"
        )
    before = item.decision.value
    item.decision, item.note, item.decided_by, item.decided_at = decision, note, who.actor, clock.now()
    changes = {"item": position, "decision": [before, decision.value], "why": note}
    record(session, who.actor, Change("access.review.decide", "access_review", quarter, changes))
    return item


def sign_off(session: Session, who: Principal, quarter: str) -> AccessReview:
    who.require(*service.WRITERS)
    review, items = get(session, who, quarter)
    pending = [i.position for i in items if i.decision is D.PENDING]
    if pending:
        raise InvalidInput(f"access review {quarter}: items {pending} are still pending")
    if who.actor == review.opened_by:
        raise Forbidden(f"access review {quarter}: opened by {who.actor}; someone else signs it off")
    if review.signed_off_at is not None:
        raise Conflict(f"access review {quarter} is already signed off by {review.signed_off_by}")
    review.signed_off_by, review.signed_off_at = who.actor, clock.now()
    record(
        session, who.actor, Change("access.review.sign_off", "access_review", quarter, {"items": len(items)})
    )
    return review
