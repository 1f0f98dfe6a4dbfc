"""THE wiring, in one readable list: agent reports → health → findings → alerts and remediation.

Health stores reports and folds them into findings as they arrive (the ingest endpoint). Each worker
tick then hands the findings health saw since the last hand-off to the two consumers. Both consumers
are idempotent for a finding they have seen (alerts refresh by fingerprint; remediation recognises a
fault key), so after a restart the first hand-off simply re-sends every open finding: nothing is lost
and nothing doubles, without a cursor table.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from fleetops import clock
from fleetops.alerts import service as alerts
from fleetops.db.session import Database
from fleetops.health import service as health
from fleetops.remediation import service as remediation

log = logging.getLogger("fleetops.pipeline")
OVERLAP = timedelta(seconds=5)  # re-read a little of the past: a finding committed late is not skipped


class Handoff:
    def __init__(self) -> None:
        self.since: datetime | None = None

    def __call__(self, database: Database) -> int:
        """One hand-off: findings (new, refreshed, resolved) since the last one → alerts, remediation."""
        started = clock.now()
        with database.transaction() as session:
            findings = health.open_findings(session, since=self.since)
            if findings:
                alerts.ingest_findings(session, findings)
                remediation.receive_findings(session, [f for f in findings if not f.resolved])
        self.since = started - OVERLAP
        return len(findings)


handoff = Handoff()
