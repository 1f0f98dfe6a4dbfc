"""THE wiring, in one readable list: agent reports → health → findings → alerts and remediation.

Health stores reports and folds them into findings as they arrive (the ingest endpoint). Each worker
tick then hands the findings health saw since the last hand-off to the two consumers. Both consumers
are idempotent for a finding they have seen (alerts refresh by fingerprint; remediation recognises a
fault key), so after a restart the first hand-off simply re-sends every open finding: nothing is lost
and nothing doubles, without a cursor table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fleetops import clock
from fleetops.alerts import service as alerts
from fleetops.db.session import Database
from fleetops.flow import Finding
from fleetops.health import service as health
from fleetops.remediation import service as remediation

log = logging.getLogger("fleetops.pipeline")
OVERLAP = timedelta(seconds=5)  # re-read a little of the past: a finding committed late is not skipped
# Findings per transaction: a fleet-wide event never holds the write lock for long (alerts took 1.4 s for
# 2,173 silent nodes in one on the loaded 2-core machine; bench/bench_silence.py).
BATCH = 500


class Handoff:
    def __init__(self) -> None:
        self.since: datetime | None = None

    def __call__(self, database: Database) -> int:
        """One hand-off: findings (new, refreshed, resolved) since the last one → alerts, remediation.

        Each consumer takes each batch in a transaction of its own, so a failure in one never stops the
        other, and ingest waits for no more than one batch. A consumer that fails keeps `since` where it
        was, so the next hand-off sends the same findings again (both consumers are idempotent).
        """
        started = clock.now()
        with database.transaction() as session:
            findings = health.open_findings(session, since=self.since)
        failed = False
        if len(findings) > BATCH:
            try:
                with database.transaction() as session:
                    remediation.judge_breakers(session, findings)
            except Exception:  # noqa: BLE001 - as a consumer's: intake judges each batch again
                log.exception("hand-off failed", extra={"consumer": "breakers", "findings": len(findings)})
                failed = True
        for start in range(0, len(findings), BATCH):
            batch = findings[start : start + BATCH]
            for name, consume in CONSUMERS:
                try:
                    with database.transaction() as session:
                        consume(session, batch)
                except Exception:  # noqa: BLE001 - one consumer's failure must not stop the other
                    log.exception("hand-off failed", extra={"consumer": name, "findings": len(batch)})
                    failed = True
                database.give_way()
        if not failed:
            self.since = started - OVERLAP
        return len(findings)


def _alerts(session: Session, findings: list[Finding]) -> None:
    alerts.ingest_findings(session, findings)


def _remediation(session: Session, findings: list[Finding]) -> None:
    remediation.receive_findings(session, [f for f in findings if not f.resolved])


# The stages after health, in order: each takes the findings in a transaction of its own.
CONSUMERS: tuple[tuple[str, Callable[[Session, list[Finding]], None]], ...] = (
    ("alerts", _alerts),
    ("remediation", _remediation),
)
handoff = Handoff()
