"""Agent reports in: parse, authenticate per node, refuse what cannot be trusted (and say so), store the rest.

    body over MAX_BODY_BYTES            413, recorded as a rejection
    not JSON / not a report / too many  422, recorded; a bad report in a batch does not sink the others
    nested deeper than wire.MAX_DEPTH   422, recorded (never a RecursionError, which answered a retryable 500)
    a time outside the plausible window 422 naming the field, recorded (a clock reset to 1970, year 1)
    unknown hostname or GPU UUID        422 for the batch, that report recorded as rejected
    agent token bound to another node   422 (its report can never be accepted), recorded
    report id already stored            409 when every report is a duplicate, else 200: never counted twice
    clock skew (within the window)      accepted, stored with its skew and an info finding `clock_skew`
Per-report outcomes are in the response body, so the agent's sender (which bisects a refused batch) and an
operator both see exactly which report was refused and why. The body also carries `requests`: per node
of the batch, what its agent is asked to do (open requests: qualify, reset a GPU), since agents only pull.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from sqlalchemy import Table
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.catalog import XidCatalog, default_catalog
from fleetops.cycles import collector_paused
from fleetops.db import bulk
from fleetops.errors import InvalidInput
from fleetops.health import qualification, requests
from fleetops.health.choices import RejectReason, ReportOutcome
from fleetops.health.evaluate import SKEW_LIMIT_S, evaluate, skew_observation
from fleetops.health.lookup import Inventory, read_inventory
from fleetops.health.models import (
    HealthRejection,
    HealthReport,
)
from fleetops.health.state import Sighting, fold
from fleetops.security import software
from fleetops.wire import (
    MAX_BATCH,
    NodeReport,
    batch_decoder,
    check_depth,
    report_decoder,
    validation_message,
)

MAX_BODY_BYTES = 16 * 1024 * 1024
# A report older than a month has outlived any spool (10,000 reports, 3.5 days at 30 s) and any outage
# worth replaying; a day ahead is no clock skew NTP leaves behind. Either is a clock reset (1970, year 1).
PAST_WINDOW = timedelta(days=30)
FUTURE_WINDOW = timedelta(days=1)
REPORTERS = (Role.ADMIN, Role.OPERATOR, Role.AGENT)  # who may post reports (a relay forwards theirs)
_ACCEPTED, _DUPLICATE = ReportOutcome.ACCEPTED.value, ReportOutcome.DUPLICATE.value  # read per report


@dataclass(slots=True)
class ReportResult:
    index: int
    outcome: str
    report_id: str | None = None
    hostname: str | None = None
    detail: str = ""
    node_state: str | None = None


@dataclass(slots=True)
class IngestResult:
    results: list[ReportResult] = field(default_factory=list)
    too_large: bool = False
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def status(self) -> int:
        if self.too_large:
            return 413
        outcomes = {r.outcome for r in self.results}
        if ReportOutcome.REJECTED in outcomes:
            return 422
        return 409 if outcomes == {ReportOutcome.DUPLICATE} else 200

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    def as_dict(self) -> dict[str, Any]:
        counts = {o.value: self.count(o) for o in ReportOutcome}
        # Field by field rather than `dataclasses.asdict` (a deep copy): ~30 us less on every report POST.
        results = [
            {
                "index": r.index,
                "outcome": r.outcome,
                "report_id": r.report_id,
                "hostname": r.hostname,
                "detail": r.detail,
                "node_state": r.node_state,
            }
            for r in self.results
        ]
        return {**counts, "results": results, "requests": self.requests}


@dataclass(slots=True)
class _Batch:
    """The rejections and results of one request, written together at the end."""

    principal: Principal
    received_at: datetime
    result: IngestResult = field(default_factory=IngestResult)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    actor: str = field(init=False)

    def __post_init__(self) -> None:
        self.actor = self.principal.actor  # read for every report of the batch

    def reject(
        self,
        index: int,
        reason: RejectReason,
        detail: str,
        report_id: str | None = None,
        hostname: str | None = None,
        node_id: int | None = None,
    ) -> None:
        self.rejections.append(
            {
                "received_at": self.received_at,
                "actor": self.actor,
                "reason": reason.value,
                "detail": detail[:4000],
                "report_id": report_id,
                "hostname": hostname,
                "node_id": node_id,
            }
        )
        self.result.results.append(
            ReportResult(index, ReportOutcome.REJECTED.value, report_id, hostname, detail)
        )


def split_body(body: bytes) -> list[Any]:
    """A batch `{"reports": [...]}` (what the agent sends), a bare JSON list, or one report object."""
    check_depth(body, "body")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"body is not JSON ({exc})") from exc
    if isinstance(data, dict) and set(data) == {"reports"}:
        data = data["reports"]
    items = data if isinstance(data, list) else [data]
    if not isinstance(data, list | dict):
        raise ValueError(
            f'body must be a report, a list of reports or {{"reports": [...]}}, not {type(data).__name__}'
        )
    if not items:
        raise ValueError("reports: the batch is empty")
    if len(items) > MAX_BATCH:
        raise ValueError(f"reports: {len(items)} reports in one batch, over the limit of {MAX_BATCH}")
    return items


def fast_parse(body: bytes) -> list[tuple[int, NodeReport]] | None:
    """Validate straight from JSON bytes (about five times as fast as `json.loads` then `convert`); None
    when anything is wrong, so the slow path can say which report and which field."""
    head = body[:16].lstrip()
    try:
        if head.startswith(b"["):
            reports = batch_decoder.decode(b'{"reports":' + body + b"}").reports
        elif head.startswith(b'{"reports"'):
            reports = batch_decoder.decode(body).reports
        else:
            reports = [report_decoder.decode(body)]
    except msgspec.DecodeError:
        return None
    return list(enumerate(reports))


def _validate(batch: _Batch, items: list[Any]) -> list[tuple[int, NodeReport]]:
    valid = []
    for index, item in enumerate(items):
        try:
            valid.append((index, msgspec.convert(item, NodeReport)))
        except msgspec.ValidationError as exc:
            hint = item if isinstance(item, dict) else {}
            report_id, hostname = hint.get("report_id"), hint.get("hostname")
            batch.reject(
                index,
                RejectReason.INVALID,
                f"reports[{index}]: {validation_message(exc)}",
                str(report_id)[:64] if report_id else None,
                str(hostname)[:256] if hostname else None,
            )
    return valid


REJECTIONS = cast(Table, HealthRejection.__table__)


def _times(report: NodeReport) -> Iterator[tuple[str, datetime]]:
    """Every time a report states, by the field path an agent's author would look up."""
    yield "collected_at", report.collected_at
    for i, xid in enumerate(report.xid_events):
        yield f"xid_events[{i}].occurred_at", xid.occurred_at
    for i, event in enumerate(report.driver_events):
        yield f"driver_events[{i}].occurred_at", event.occurred_at
    if report.qualification is not None:
        yield "qualification.started_at", report.qualification.started_at
        yield "qualification.finished_at", report.qualification.finished_at
    for i, reset in enumerate(report.gpu_resets):
        yield f"gpu_resets[{i}].at", reset.at


def _plausible(batch: _Batch, index: int, report: NodeReport) -> bool:
    """Refuse a report stating a time outside [received - PAST_WINDOW, received + FUTURE_WINDOW]: a node
    whose clock reset to 1970 once opened a new critical finding for an old XID. Within the window a
    future time is a skewed clock, stored with its info finding (`clock_skew`)."""
    earliest, latest = batch.received_at - PAST_WINDOW, batch.received_at + FUTURE_WINDOW
    for path, at in _times(report):
        if not earliest <= at <= latest:
            rid = str(report.report_id)
            batch.reject(
                index,
                RejectReason.INVALID,
                f"reports[{index}].{path}: {at.isoformat()} is outside the plausible window "
                f"({PAST_WINDOW.days} days before to {FUTURE_WINDOW.days} day after the control plane)",
                rid,
                report.hostname,
            )
            return False
    return True


def _admit(batch: _Batch, index: int, rid: str, report: NodeReport, inventory: Inventory) -> int | None:
    """The node id a report may be stored under, or None after recording why it may not."""
    host, who = report.hostname, batch.principal
    nodes, gpus = inventory.nodes, inventory.uuids
    node_id = nodes[host][0] if host in nodes else None
    if who.role is Role.AGENT and (node_id is None or who.node_id != node_id):
        # One answer whether the hostname exists or is another node's: an agent token must not be a way
        # to enumerate the inventory. The stored reason tells staff which it was.
        reason = RejectReason.UNKNOWN_NODE if node_id is None else RejectReason.WRONG_NODE
        refusal = f"report {rid}: token {who.name!r} is bound to node id {who.node_id}, not to {host!r}"
        batch.reject(index, reason, refusal, rid, host, node_id)
        return None
    if node_id is None:
        batch.reject(
            index,
            RejectReason.UNKNOWN_NODE,
            f"report {rid}: hostname {host!r} is not in the inventory",
            rid,
            host,
        )
        return None
    strangers = [g for g in report.gpus if g.uuid is not None and g.uuid not in gpus[node_id]]
    if strangers:
        listed = ", ".join(f"{g.uuid} (index {g.index})" for g in strangers[:4])
        batch.reject(
            index,
            RejectReason.UNKNOWN_GPU,
            f"report {rid}: GPU {listed} not in the inventory of node {host!r}",
            rid,
            host,
            node_id,
        )
        return None
    return node_id


def _sighting(
    batch: _Batch, rid: str, report: NodeReport, node_id: int, gpu_count: int, catalog: XidCatalog
) -> tuple[Sighting, dict[str, Any]]:
    skew = (report.collected_at - batch.received_at).total_seconds()
    observations = evaluate(report, gpu_count, catalog) + qualification.observations(report.qualification)
    if skew > SKEW_LIMIT_S:
        observations.append(skew_observation(skew))
    sight = Sighting(
        node_id=node_id,
        report_id=rid,
        actor=batch.actor,
        received_at=batch.received_at,
        collected_at=min(report.collected_at, batch.received_at),
        observations=observations,
        gpu_indexes=frozenset([g.index for g in report.gpus]),
        lost_indexes=frozenset([g.index for g in report.gpus if g.lost]),
        blind=not report.gpus and any(f.kind == "collector_down" for f in report.findings),
    )
    row = {
        "report_id": sight.report_id,
        "node_id": node_id,
        "actor": batch.actor,
        "agent_version": report.agent_version[:64],
        "collected_at": report.collected_at,
        "received_at": batch.received_at,
        "skew_s": skew,
        "clock_skewed": skew > SKEW_LIMIT_S,
        "gpu_count": len(report.gpus),
        "finding_count": len(observations),
    }
    return sight, row


REPORTS = cast(Table, HealthReport.__table__)
SOFTWARE = software.Confirmed()  # the versions this process stored: unchanged ones cost no read


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert report rows; the ids that were not already stored. The unique key decides, so two requests
    racing with the same report cannot both count it."""
    inserted = bulk.insert(session.connection(), REPORTS, rows, keys=["report_id"], returning="report_id")
    return set(inserted.scalars()) if inserted is not None else set()


def _store(
    session: Session,
    entries: list[tuple[_Batch, int, NodeReport]],
    received_at: datetime,
    catalog: XidCatalog,
) -> None:
    """Store the valid reports of one or more POSTs, each outcome filed under the POST it came in."""
    inventory = read_inventory(session, {r.hostname for _, _, r in entries})
    seen: set[str] = set()
    pending: list[tuple[_Batch, ReportResult, Sighting, dict[str, Any], NodeReport]] = []
    duplicates: list[tuple[_Batch, ReportResult]] = []
    for batch, index, report in entries:
        rid = str(report.report_id)
        if rid in seen:
            duplicates.append((batch, ReportResult(index, _DUPLICATE, rid, report.hostname)))
            continue
        node_id = _admit(batch, index, rid, report, inventory)
        if node_id is None:
            continue
        seen.add(rid)
        sight, row = _sighting(batch, rid, report, node_id, inventory.nodes[report.hostname][1], catalog)
        result = ReportResult(index, _ACCEPTED, rid, report.hostname)
        pending.append((batch, result, sight, row, report))
    new = _insert_new(session, [p[3] for p in pending]) if pending else set()
    accepted = [p for p in pending if p[1].report_id in new]
    duplicates += [(p[0], p[1]) for p in pending if p[1].report_id not in new]
    for batch, result in duplicates:
        result.outcome, result.detail = (
            ReportOutcome.DUPLICATE.value,
            f"report {result.report_id} was already stored",
        )
        batch.result.results.append(result)
    qualified = [
        (s.node_id, s.report_id, r.qualification) for _, _, s, _, r in accepted if r.qualification is not None
    ]
    closed = qualification.store(session, qualified, received_at) if qualified else set()
    resets = [(s.node_id, reset) for _, _, s, _, r in accepted for reset in r.gpu_resets]
    if resets:
        closed |= requests.store_resets(session, resets, received_at)
    SOFTWARE.observe(session, [(s.node_id, r) for _, _, s, _, r in accepted], received_at)
    if accepted:
        sightings = [sight for _, _, sight, _, _ in accepted]
        verdicts = fold(session, sightings, inventory.gpu_ids, received_at, inventory.before)
        for batch, result, sight, _, _ in accepted:
            result.node_state = verdicts[sight.node_id].state.value
            batch.result.results.append(result)
    # Per node of each POST, the requests its agent should act on (agents pull; nothing calls them).
    for batch, _, sight, _, report in pending:
        batch.result.requests[report.hostname] = requests.answer(inventory.requests[sight.node_id], closed)


@dataclass(slots=True)
class Post:
    """One report POST: who sent it and its body, or None with the size it had when over the limit."""

    principal: Principal
    body: bytes | None
    too_large: int | None = None


def ingest(
    session: Session,
    principal: Principal,
    body: bytes | None,
    *,
    too_large: int | None = None,
    catalog: XidCatalog | None = None,
) -> IngestResult:
    """Store what can be trusted from one POST; every refusal is a `health_rejection` row as well."""
    return ingest_posts(session, [Post(principal, body, too_large)], catalog)[0]


def ingest_posts(
    session: Session, posts: list[Post], catalog: XidCatalog | None = None
) -> list[IngestResult]:
    """Store several POSTs in one transaction, one result each, as if each were alone. This is the group
    commit of `health.intake`: the transaction, each statement and the inventory read are paid once for
    all of them rather than once per POST."""
    for post in posts:
        post.principal.require(*REPORTERS)
    with collector_paused():
        return _ingest(session, posts, catalog or default_catalog())


def _ingest(session: Session, posts: list[Post], catalog: XidCatalog) -> list[IngestResult]:
    received_at = clock.now()
    batches, entries = [], []
    for post in posts:
        batch = _Batch(post.principal, received_at)
        batches.append(batch)
        body = post.body
        if post.too_large is not None or body is None or len(body) > MAX_BODY_BYTES:
            size = post.too_large if post.too_large is not None else len(body or b"")
            batch.reject(
                0, RejectReason.TOO_LARGE, f"body is {size} bytes, over the {MAX_BODY_BYTES} byte limit"
            )
            batch.result.too_large = True
            continue
        valid = fast_parse(body)
        if valid is None:
            try:
                valid = _validate(batch, split_body(body))
            except (ValueError, InvalidInput) as exc:
                batch.reject(0, RejectReason.INVALID, str(exc))
                valid = []
        entries += [(batch, index, report) for index, report in valid if _plausible(batch, index, report)]
    if entries:
        _store(session, entries, received_at, catalog)
    bulk.insert(session.connection(), REJECTIONS, [row for batch in batches for row in batch.rejections])
    for batch in batches:
        batch.result.results.sort(key=lambda r: r.index)
    return [batch.result for batch in batches]
