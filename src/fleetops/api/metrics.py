"""`/metrics` in Prometheus text format: fleet families computed at scrape time from the records, the
worker queues read from their rows, and the HTTP and process families of the API process itself.

Scorecards are queries over rows, never separately kept numbers, so each scrape reads the database
through the same summaries the console uses, and every API process answers them alike. Only what happens
inside an API process (its requests, its CPU and memory) is kept in memory: see `HttpMeter`. Domains add
families by appending to COLLECTORS; docs/metrics.md lists every family.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts.choices import OutboxStatus
from fleetops.alerts.metrics import alert_metrics
from fleetops.alerts.models import Outbox
from fleetops.api.deps import PrincipalDep
from fleetops.auth.principal import SYSTEM
from fleetops.db.metrics import cumulative
from fleetops.db.session import get_database
from fleetops.deploy import claim as deploy_claim
from fleetops.deploy import fsm as deploy_fsm
from fleetops.deploy.metrics import deploy_metrics
from fleetops.deploy.models import BringupTransition
from fleetops.health.metrics import health_metrics
from fleetops.inventory.summary import summarize
from fleetops.remediation import claim as remediation_claim
from fleetops.remediation.choices import Outcome
from fleetops.remediation.measures import remediation_metrics
from fleetops.remediation.models import RemediationStep

router = APIRouter(tags=["metrics"])


def inventory_metrics(session: Session) -> Iterable[Metric]:
    summary = summarize(session, SYSTEM)
    nodes = GaugeMetricFamily(
        "fleetops_nodes", "Nodes by supplier and lifecycle state", labels=["supplier", "state"]
    )
    gpus = GaugeMetricFamily(
        "fleetops_gpus", "GPUs by supplier and node lifecycle state", labels=["supplier", "state"]
    )
    for supplier, counts in summary.by_supplier.items():
        for state, value in counts.nodes.items():
            nodes.add_metric([supplier, state], value)
            gpus.add_metric([supplier, state], counts.gpus[state])
    clusters = GaugeMetricFamily(
        "fleetops_clusters",
        "Clusters by state and orchestrator",
        labels=["state", "orchestrator", "compliant"],
    )
    tally: dict[tuple[str, str, str], int] = {}
    for cluster in summary.clusters:
        key = (
            cluster["state"].value,
            cluster["orchestrator"].value,
            str(cluster["orchestrator"].compliant).lower(),
        )
        tally[key] = tally.get(key, 0) + 1
    for labels, value in sorted(tally.items()):
        clusters.add_metric(list(labels), value)
    return [nodes, gpus, clusters]


def _backlog(session: Session, due: Select[Any], due_at: Any) -> tuple[int, datetime | None]:
    """How many rows `due` (the claim's own query, its batch limit lifted) selects, and the oldest one's
    due time."""
    table = due_at.table
    count, oldest = session.execute(
        select(func.count(), func.min(due_at)).where(table.c.id.in_(due.limit(None).order_by(None)))
    ).one()
    return int(count), oldest


def queue_metrics(session: Session) -> Iterable[Metric]:
    """Depth and lag of each worker queue, from the same `due` queries the workers claim with: work that
    waits because no worker is free (or none runs) shows here before a rollout or a page is late."""
    now = clock.now()
    outbox_due = select(Outbox.id).where(
        Outbox.status == OutboxStatus.PENDING.value, Outbox.next_attempt_at <= now
    )
    bringups, runs = deploy_claim.B, remediation_claim.R
    backlogs = {
        "deploy_bringups": _backlog(session, deploy_claim._due(now, 1), bringups.c.due_at),
        "remediation_runs": _backlog(session, remediation_claim._due(now, 1), runs.c.due_at),
        "alert_outbox": _backlog(session, outbox_due, Outbox.__table__.c.next_attempt_at),
    }
    depth = GaugeMetricFamily("fleetops_queue_depth", "Due work items no worker holds", labels=["queue"])
    lag = GaugeMetricFamily(
        "fleetops_queue_lag_seconds", "Age of the oldest due work item no worker holds", labels=["queue"]
    )
    for queue, (count, oldest) in backlogs.items():
        depth.add_metric([queue], count)
        lag.add_metric([queue], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    failures = CounterMetricFamily(
        "fleetops_queue_failures",
        "Failed work: bring-up steps that failed, remediation actions that failed, undeliverable messages",
        labels=["queue"],
    )
    counts = {
        "deploy_bringups": select(func.count()).where(
            BringupTransition.to_state.in_([s.value for s in deploy_fsm.FAILED])
        ),
        "remediation_runs": select(func.count()).where(RemediationStep.outcome == Outcome.FAILED.value),
        "alert_outbox": select(func.count()).where(Outbox.status == OutboxStatus.FAILED.value),
    }
    for queue, statement in counts.items():
        failures.add_metric([queue], session.scalar(statement) or 0)
    return [depth, lag, failures]


COLLECTORS: list[Callable[[Session], Iterable[Metric]]] = [
    inventory_metrics,
    health_metrics,
    alert_metrics,
    deploy_metrics,
    remediation_metrics,
    queue_metrics,
]

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SHARE_EVERY_S = 1.0


class HttpMeter:
    """Requests and their latency, counted in the API process that served them (the rows cannot know).

    One `observe` per request costs a lock and two dict lookups, cheap beside the agents' report POST it
    also measures. With several API processes (`fleetops serve --processes N`) a scrape reaches one of
    them, so each writes its totals to a shared folder every second (a thread, never the request) and the
    scrape sums every file there, the files of processes that died included: counters never go down while
    the supervisor replaces a process, and a scrape lags the other processes by at most a second.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = {}
        # per (method, route): a count per bucket, the overflow (+Inf) count, then the sum of seconds
        self.latency: dict[tuple[str, str], list[float]] = {}
        self.folder: Path | None = None
        self.name = str(os.getpid())
        self.stopped = threading.Event()

    def share(self, folder: Path, name: str | None = None, every_s: float = SHARE_EVERY_S) -> None:
        """Count together with every process sharing `folder`; `name` (the pid) names this one's file."""
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.name = folder, name or self.name
        self._write()
        threading.Thread(target=self._share_every, args=(every_s,), name="http-meter", daemon=True).start()
        atexit.register(self._write)

    def _share_every(self, every_s: float) -> None:
        while not self.stopped.wait(every_s):
            self._write()

    def stop(self) -> None:
        """Stop sharing (tests: a process that leaves its file and goes)."""
        self.stopped.set()
        atexit.unregister(self._write)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self.lock:
            key = (method, route, status)
            self.requests[key] = self.requests.get(key, 0) + 1
            slots = self.latency.get((method, route))
            if slots is None:
                slots = self.latency[(method, route)] = [0.0] * (len(LATENCY_BUCKETS_S) + 2)
            slots[bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
            slots[-1] += seconds

    def _snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": [[*key, count] for key, count in self.requests.items()],
                "latency": [[*key, list(slots)] for key, slots in self.latency.items()],
            }

    def _write(self) -> None:
        assert self.folder is not None
        path = self.folder / f"{self.name}.json"
        temporary = path.with_suffix(f".{threading.get_ident()}.tmp")  # a scrape and the beat may both write
        temporary.write_text(json.dumps(self._snapshot()))
        os.replace(temporary, path)

    def _snapshots(self) -> list[dict[str, Any]]:
        if self.folder is None:
            return [self._snapshot()]
        self._write()
        return [json.loads(path.read_text()) for path in sorted(self.folder.glob("*.json"))]

    def collect(self) -> Iterable[Metric]:
        requests: dict[tuple[str, str, str], float] = {}
        latency: dict[tuple[str, str], list[float]] = {}
        for snapshot in self._snapshots():
            for method, route, status, count in snapshot["requests"]:
                key = (method, route, str(status))
                requests[key] = requests.get(key, 0) + count
            for method, route, slots in snapshot["latency"]:
                into = latency.setdefault((method, route), [0.0] * len(slots))
                latency[(method, route)] = [a + b for a, b in zip(into, slots, strict=True)]
        counted = CounterMetricFamily(
            "fleetops_http_requests",
            "HTTP requests answered, by method, route template and status",
            labels=["method", "route", "status"],
        )
        for key, count in sorted(requests.items()):
            counted.add_metric(list(key), count)
        timed = HistogramMetricFamily(
            "fleetops_http_request_duration_seconds",
            "Time from a request's arrival to its last response byte, by method and route template",
            labels=["method", "route"],
        )
        for route, slots in sorted(latency.items()):
            timed.add_metric(list(route), cumulative(slots[:-1], LATENCY_BUCKETS_S), sum_value=slots[-1])
        return [counted, timed]


HTTP = HttpMeter()
PROCESS = (ProcessCollector(registry=None), PlatformCollector(registry=None))


class _Scrape:
    def collect(self) -> Iterable[Metric]:
        with get_database().transaction() as session:
            for collector in COLLECTORS:
                yield from collector(session)


@router.get("/metrics", include_in_schema=False)
def metrics(who: PrincipalDep) -> Response:
    """Authenticated like every endpoint: Prometheus sends a viewer token (`authorization` setting)."""
    who.require_staff()
    registry = CollectorRegistry(auto_describe=False)
    for collector in (_Scrape(), HTTP, *PROCESS):
        registry.register(collector)  # type: ignore[arg-type]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
