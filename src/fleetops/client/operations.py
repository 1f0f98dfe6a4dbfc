"""Deployments, alerts and incidents, health, remediation and the audit log over the API, returning the
API's own schemas (`RolloutRead`, `IncidentRead`, `RunRead`...) where the domain defines them."""

from __future__ import annotations

import builtins  # `Deployments.list` would shadow `list` in that class's annotations
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fleetops.alerts.schemas import IncidentRead, SilenceCreate, SilenceRead
from fleetops.client.session import Page, Session, item_by_item
from fleetops.deploy.schemas import DecommissionRead, HumanQueueItem, PlanCreate, RolloutRead, RolloutSummary
from fleetops.remediation.schemas import (
    BreakerRead,
    RunDetail,
    RunRead,
    SettingsRead,
    SettingsUpdate,
    SwitchRead,
)


def _q(key: str | int) -> str:
    return quote(str(key), safe="")


def _dict(data: Any) -> dict[str, Any]:
    return dict(data)


class Deployments:
    def __init__(self, session: Session) -> None:
        self._s = session

    def plan(self, plan: PlanCreate) -> RolloutRead:
        return RolloutRead.model_validate(self._s.json("POST", "/deployments/plan", json=plan.model_dump()))

    def list(self) -> list[RolloutSummary]:
        return [RolloutSummary.model_validate(r) for r in self._s.json("GET", "/deployments")]

    def get(self, name: str) -> RolloutRead:
        return RolloutRead.model_validate(self._s.json("GET", f"/deployments/{_q(name)}"))

    def act(self, name: str, verb: str, why: str = "") -> RolloutRead:
        """start, pause, resume or abort; `why` is kept in the audit log."""
        body = {"why": why} if why else None
        return RolloutRead.model_validate(self._s.json("POST", f"/deployments/{_q(name)}/{verb}", json=body))

    def needs_human(self, rollout: str | None = None) -> builtins.list[HumanQueueItem]:
        rows = self._s.json("GET", "/deployments/needs-human", params={"rollout": rollout} if rollout else {})
        return [HumanQueueItem.model_validate(r) for r in rows]

    def retry(self, hostname: str, why: str) -> builtins.list[HumanQueueItem]:
        rows = self._s.json("POST", f"/deployments/nodes/{_q(hostname)}/retry", json={"why": why})
        return [HumanQueueItem.model_validate(r) for r in rows]

    def decommission(self, cluster: str, why: str = "contract ended") -> DecommissionRead:
        body = {"cluster": cluster, "why": why}
        return DecommissionRead.model_validate(self._s.json("POST", "/deployments/decommission", json=body))


class Incidents:
    def __init__(self, session: Session) -> None:
        self._s = session

    def list(self, status: str | None = None, limit: int = 100) -> Page[IncidentRead]:
        return self._s.listed("/alerts/incidents", {"status": status}, IncidentRead.model_validate, limit)

    def get(self, incident_id: int) -> IncidentRead:
        return IncidentRead.model_validate(self._s.json("GET", f"/alerts/incidents/{incident_id}"))

    def acknowledge(self, incident_id: int) -> IncidentRead:
        path = f"/alerts/incidents/{incident_id}/acknowledge"
        return IncidentRead.model_validate(self._s.json("POST", path))


class Alerts:
    def __init__(self, session: Session) -> None:
        self._s = session

    def explain(self, alert_id: int) -> dict[str, Any]:
        return _dict(self._s.json("GET", f"/alerts/{alert_id}/explain"))

    def measures(self) -> dict[str, Any]:
        return _dict(self._s.json("GET", "/alerts/measures"))

    def silences(self) -> list[SilenceRead]:
        return [SilenceRead.model_validate(s) for s in self._s.json("GET", "/alerts/silences")]

    def silence(self, silence: SilenceCreate) -> SilenceRead:
        body = silence.model_dump(mode="json")
        return SilenceRead.model_validate(self._s.json("POST", "/alerts/silences", json=body))

    def expire_silence(self, silence_id: int) -> SilenceRead:
        return SilenceRead.model_validate(self._s.json("DELETE", f"/alerts/silences/{silence_id}"))


class Health:
    def __init__(self, session: Session) -> None:
        self._s = session

    def summary(self) -> dict[str, Any]:
        return _dict(self._s.json("GET", "/health/summary"))

    def node(self, node: str | int) -> dict[str, Any]:
        """By hostname or id."""
        return _dict(self._s.json("GET", f"/health/nodes/{_q(node)}"))

    def coverage(self) -> dict[str, Any]:
        return _dict(self._s.json("GET", "/health/coverage"))

    def finding_pages(self, *, limit: int | None = None, **filters: Any) -> Iterator[Page[dict[str, Any]]]:
        """Findings newest first; filters: open, node, cluster, check, severity, xid, since."""
        return self._s.pages("/health/findings", filters, item_by_item(_dict), limit)

    def findings(self, *, limit: int | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        return self._s.items("/health/findings", filters, item_by_item(_dict), limit)


class Remediation:
    def __init__(self, session: Session) -> None:
        self._s = session

    def runs(self, state: str | None = None, hostname: str | None = None, limit: int = 100) -> Page[RunRead]:
        params = {"state": state, "hostname": hostname}
        return self._s.listed("/remediation/runs", params, RunRead.model_validate, limit)

    def run(self, run_id: int) -> RunDetail:
        return RunDetail.model_validate(self._s.json("GET", f"/remediation/runs/{run_id}"))

    def cancel(self, run_id: int, reason: str = "") -> RunRead:
        """Stop a run where it stands (the node stays as it is); `reason` is kept on the run's step."""
        path = f"/remediation/runs/{run_id}/cancel"
        return RunRead.model_validate(self._s.json("POST", path, params={"reason": reason}))

    def approve(self, run_id: int) -> RunRead:
        """Let a run waiting for a person take its next action now."""
        return RunRead.model_validate(self._s.json("POST", f"/remediation/runs/{run_id}/approve"))

    def repaired(self, run_id: int, note: str = "") -> RunRead:
        """An escalated run's repair is done: the run verifies the node before it goes back."""
        path = f"/remediation/runs/{run_id}/repaired"
        return RunRead.model_validate(self._s.json("POST", path, params={"note": note}))

    def settings(self, cluster: str | int) -> SettingsRead:
        """By cluster name or id."""
        return SettingsRead.model_validate(
            self._s.json("GET", f"/remediation/clusters/{_q(cluster)}/settings")
        )

    def update_settings(self, cluster: str | int, changes: SettingsUpdate) -> SettingsRead:
        body = changes.model_dump(mode="json", exclude_unset=True)
        path = f"/remediation/clusters/{_q(cluster)}/settings"
        return SettingsRead.model_validate(self._s.json("PUT", path, json=body))

    def set_switch(self, name: str, on: bool, reason: str = "") -> SwitchRead:
        body = {"on": on, "reason": reason}
        return SwitchRead.model_validate(self._s.json("PUT", f"/remediation/switches/{_q(name)}", json=body))

    def breakers(self) -> list[BreakerRead]:
        return [BreakerRead.model_validate(b) for b in self._s.json("GET", "/remediation/breakers")]

    def reset_breaker(self, scope: str, subject_id: int) -> BreakerRead:
        path = f"/remediation/breakers/{_q(scope)}/{subject_id}/reset"
        return BreakerRead.model_validate(self._s.json("POST", path))

    def measures(self, days: float = 30) -> dict[str, Any]:
        return _dict(self._s.json("GET", "/remediation/measures", params={"days": days}))


class Audit:
    def __init__(self, session: Session) -> None:
        self._s = session

    def pages(
        self,
        *,
        limit: int | None = None,
        actor: str | None = None,
        action: str | None = None,
        target_type: str | None = None,
        target_key: str | None = None,
        since: datetime | None = None,
    ) -> Iterator[Page[dict[str, Any]]]:
        """Audit events oldest first."""
        params = {
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_key": target_key,
            "since": since.isoformat() if since else None,
        }
        return self._s.pages("/audit", params, item_by_item(_dict), limit)
