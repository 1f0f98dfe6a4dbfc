"""What the control plane asks of a node's agent (qualify under load, reset a GPU): one row per request.

Agents only pull (firewalls around GPU nodes let only the agent's HTTPS out), so every kind travels the
same way: a row is filed, offered in the answer to each of the node's report POSTs while open, and
closed by the result the agent attaches to a later report. Each kind differs only in its parameters
(`offer`) and in what closes it (qualification.store: a run that measured the GPUs; `store_resets`: the
agent's final word on that request id).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.errors import NotFound
from fleetops.health.models import AgentRequest
from fleetops.inventory.models import Node
from fleetops.wire import GpuResetResult, RequestKind, ResetOutcome

OPEN = AgentRequest.closed_at.is_(None)


def node_of(session: Session, hostname: str) -> int:
    node_id = session.scalar(select(Node.id).where(Node.hostname == hostname))
    if node_id is None:
        raise NotFound(f"node {hostname!r}: no such hostname in the inventory")
    return node_id


def file(
    session: Session,
    node_id: int,
    kind: RequestKind,
    *,
    actor: str,
    reason: str = "",
    gpu_index: int | None = None,
    duration_s: float | None = None,
) -> int:
    """File a request; an open one of the same kind for the same node and GPU is reused (its id returned),
    so asking twice (a retried remediation step, an operator and remediation at once) acts once."""
    existing = session.scalar(
        select(AgentRequest.id)
        .where(
            AgentRequest.node_id == node_id,
            AgentRequest.kind == kind.value,
            AgentRequest.gpu_index == gpu_index,  # IS NULL for a node-wide request
            OPEN,
        )
        .order_by(AgentRequest.id)
        .limit(1)
    )
    if existing is not None:
        return existing
    request = AgentRequest(
        node_id=node_id,
        kind=kind.value,
        gpu_index=gpu_index,
        duration_s=duration_s,
        requested_at=clock.now(),
        requested_by=actor[:200],
        reason=reason[:2000],
        detail="",
    )
    session.add(request)
    session.flush()
    return request.id


def offer(request_id: int, kind: str, gpu_index: int | None, duration_s: float | None) -> dict[str, Any]:
    """One open request in the shape a report's answer carries (what `fleetops.agent.demand` parses)."""
    if kind == RequestKind.RESET_GPU:
        return {"kind": kind, "id": request_id, "gpu_index": gpu_index}
    return {"kind": kind, "id": request_id, "duration_s": duration_s}


def answer(offers: dict[int, dict[str, Any]], closed: Collection[int]) -> list[dict[str, Any]]:
    """A node's open requests for its agent, less those this very batch closed."""
    return [item for request_id, item in sorted(offers.items()) if request_id not in closed]


def close(
    session: Session,
    node_id: int,
    kind: RequestKind,
    *conditions: ColumnElement[bool],
    at: datetime,
    outcome: str,
    detail: str,
    result_id: int | None = None,
) -> set[int]:
    """Close the node's open requests of `kind` that match `conditions`; the ids closed."""
    closed = session.scalars(
        update(AgentRequest)
        .where(AgentRequest.node_id == node_id, AgentRequest.kind == kind.value, OPEN, *conditions)
        .values(closed_at=at, outcome=outcome, detail=detail[:2000], result_id=result_id)
        .returning(AgentRequest.id)
    )
    return set(closed)


def store_resets(
    session: Session, results: Iterable[tuple[int, GpuResetResult]], received_at: datetime
) -> set[int]:
    """Keep each agent's word on its reset requests; the ids it closed. A node answers only its own
    requests (the request id is checked against the reporting node), and a word on a request already
    closed changes nothing, so an agent replaying a result after a restart is harmless."""
    closed: set[int] = set()
    for node_id, result in results:
        mine = (AgentRequest.id == result.request_id,)
        if result.outcome is ResetOutcome.BUSY:
            session.execute(
                update(AgentRequest)
                .where(
                    AgentRequest.node_id == node_id,
                    AgentRequest.kind == RequestKind.RESET_GPU.value,
                    OPEN,
                    *mine,
                )
                .values(detail=result.detail[:2000])
            )
            continue
        closed |= close(
            session,
            node_id,
            RequestKind.RESET_GPU,
            *mine,
            at=received_at,
            outcome=result.outcome.value,
            detail=result.detail,
        )
    return closed


@dataclass(frozen=True, slots=True)
class Answer:
    """Where a request stands: open (with the agent's latest word, if any) or closed with an outcome."""

    id: int
    open: bool
    outcome: str | None
    detail: str


def latest(session: Session, node_id: int, kind: RequestKind, gpu_index: int | None = None) -> Answer | None:
    row = session.execute(
        select(AgentRequest.id, AgentRequest.closed_at, AgentRequest.outcome, AgentRequest.detail)
        .where(
            AgentRequest.node_id == node_id,
            AgentRequest.kind == kind.value,
            AgentRequest.gpu_index == gpu_index,
        )
        .order_by(AgentRequest.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    request_id, closed_at, outcome, detail = row
    return Answer(request_id, closed_at is None, outcome, detail or "")


def request_gpu_reset(
    session: Session, hostname: str, gpu_index: int | None, actor: str = "remediation", reason: str = ""
) -> int:
    """Ask the node's agent to reset a GPU (None: every GPU); reused while open."""
    node_id = node_of(session, hostname)
    return file(session, node_id, RequestKind.RESET_GPU, actor=actor, reason=reason, gpu_index=gpu_index)


def gpu_reset(session: Session, hostname: str, gpu_index: int | None) -> Answer | None:
    """The node's latest reset request for that GPU and where it stands; None if it never had one."""
    return latest(session, node_of(session, hostname), RequestKind.RESET_GPU, gpu_index)


def listed(row: AgentRequest) -> dict[str, Any]:
    """A request as the API and console show it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "gpu_index": row.gpu_index,
        "duration_s": row.duration_s,
        "requested_at": row.requested_at,
        "requested_by": row.requested_by,
        "reason": row.reason,
        "open": row.closed_at is None,
        "closed_at": row.closed_at,
        "outcome": row.outcome,
        "detail": row.detail,
        "result_id": row.result_id,
    }
