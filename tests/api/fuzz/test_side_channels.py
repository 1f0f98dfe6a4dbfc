"""Tenancy without side channels: for every operation that names a record in its path, and every role,
another tenant's record answers exactly as a missing one (same status, same body shape, the same words
but for the name, in as many SQL statements), so no token can learn what exists outside its own view by
asking or by timing the answer.

The subjects come in threes, (own, other tenant's, missing), all of tenant 1's point of view (customer
initech, supplier acme, agent a000); staff answers are checked to see the "other" record, which proves
each subject real rather than the comparison vacuous.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from fleetops.alerts.models import Alert, Incident
from fleetops.api.app import create_app
from fleetops.auth import service as auth_service
from fleetops.db.session import Database
from fleetops.inventory.models import Node, Rack
from fleetops.remediation.models import RemediationRun
from fleetops.security.access.models import AccessRequest
from fleetops.security.incidents.models import SecurityIncident
from fleetops.security.models import SecurityFinding
from tests.api.fuzz.conftest import populate

STAFF = ("admin", "operator", "viewer", "security")
MISSING_ID = 2_000_000_000
# Reads that answer 404 to staff too, for a subject that exists: the cluster has no decommission.
NOT_THERE_FOR_STAFF = {"/api/v1/deployments/decommission/{cluster}"}
# Path parameters that name no tenant's record: filled with a value that exists for everyone.
FIXED = {"addon": "remediation", "verb": "grant", "scope": "cluster", "notice": "customer"}
# ... and where a path's verb is another word: an emergency update's.
FIXED_UNDER = {"/api/v1/security/updates/": {"verb": "pause"}}
# Tenant-scoped roles that read another tenant's record by design: sales reads every supplier's scorecard.
BY_DESIGN = {("sales", "supplier")}
NAMED = {
    "/api/v1/deployments/": "rollout",
    "/api/v1/scorecards/": "supplier",
    "/api/v1/security/updates/": "update",
}
# `{key}` outside the inventory's collections.
KEYED = {"/api/v1/security/incidents/": "security_incident"}
# The inventory's `{key}` per collection: (own, other tenant's, missing); racks are named alike on both
# sites, so they go by id (filled in by `subjects`).
KEYS = {
    "suppliers": ("acme", "globex", "nowhere"),
    "sites": ("dfw1", "aus1", "nowhere"),
    "customers": ("initech", "umbrella", "nowhere"),
    "contracts": ("initech-2026", "umbrella-2026", "nowhere"),
    "clusters": ("alpha", "beta", "nowhere"),
    "nodes": ("a000", "b000", "zz999"),
    "gpus": ("GPU-a000-0", "GPU-b000-0", "GPU-zz999-0"),
}


def _ids(database: Database, model: Any, cluster_of: Any) -> tuple[int, int]:
    with database.transaction() as session:
        rows = dict(session.execute(select(cluster_of, model.id)).all())
    return rows["alpha"], rows["beta"]


def subjects(database: Database) -> dict[str, tuple[Any, Any, Any]]:
    """Each path parameter's (own, other tenant's, missing) value."""
    labels = Incident.labels["cluster"].as_string()
    incidents = _ids(database, Incident, labels)
    alerts = _ids(database, Alert, Alert.labels["cluster"].as_string())
    with database.transaction() as session:
        run_rows = session.execute(
            select(Node.hostname, RemediationRun.id).join(Node, Node.id == RemediationRun.node_id)
        ).all()
        racks = dict(session.execute(select(Rack.site_id, Rack.id).where(Rack.name == "r01")).all())
        findings = dict(
            session.execute(
                select(Node.hostname, SecurityFinding.id).join(Node, Node.id == SecurityFinding.node_id)
            ).all()
        )
        security_incident = f"SEC-{session.scalar(select(SecurityIncident.id))}"
        access_request = session.scalar(select(AccessRequest.id))
    runs = {host[0]: run for host, run in run_rows}
    return {
        "node": ("a000", "b000", "zz999"),
        "hostname": ("a000", "b000", "zz999"),
        "cluster": ("alpha", "beta", "nowhere"),
        "incident_id": (*incidents, MISSING_ID),
        "alert_id": (*alerts, MISSING_ID),
        "run_id": (runs["a"], runs["b"], MISSING_ID),
        "subject_id": (1, 2, MISSING_ID),
        "rack": (min(racks.values()), max(racks.values()), MISSING_ID),
        "rollout": ("r1", "r1", "r404"),  # staff only: every tenant role is "other" to it
        "supplier": ("acme", "globex", "nowhere"),
        "finding_id": (findings["a000"], findings["b000"], MISSING_ID),
        "update": ("u-alpha", "u-beta", "u-nowhere"),
        "serial": ("SN-a000", "SN-b000", "SN-zz999"),
        # staff only: every tenant role is "other" to them
        "security_incident": (security_incident, security_incident, f"SEC-{MISSING_ID}"),
        "request_id": (access_request, access_request, MISSING_ID),
    }


def _kind(path: str) -> str | None:
    """The kind of tenant record the path names, or None."""
    names = re.findall(r"{(\w+)}", path)
    kind = None
    for name in names:
        if name in FIXED:
            continue
        if name == "key":
            collection = path.split("/")[3]
            keyed = next((k for prefix, k in KEYED.items() if path.startswith(prefix)), None)
            kind = keyed or ("rack" if collection == "racks" else collection)
        elif name == "name":  # a rollout, a supplier's scorecard; switches and update runs name no tenant's
            kind = next((k for prefix, k in NAMED.items() if path.startswith(prefix)), None)
        else:
            kind = name
    return kind


def fill(path: str, subjects: dict[str, tuple[Any, Any, Any]]) -> tuple[str, str, str] | None:
    """The operation's path three times, its one tenant-record parameter as own, other's and missing."""
    kind = _kind(path)
    if kind not in subjects and kind not in KEYS:
        return None
    three = subjects.get(kind) or KEYS[kind]
    filled = path
    fixed = next((FIXED | f for prefix, f in FIXED_UNDER.items() if path.startswith(prefix)), FIXED)
    for name, value in fixed.items():
        filled = filled.replace(f"{{{name}}}", value)
    return tuple(re.sub(r"{\w+}", str(v), filled) for v in three)  # type: ignore[return-value]


class Statements:
    """The SQL statements the app runs per request. Another tenant's record must cost the same queries as
    a missing one: the timing class, counted rather than timed, since a time on this shared 2-core machine
    varies more than one query does (docs/testing.md)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._ran)

    def _ran(self, *_: Any) -> None:
        self.count += 1


def _send(client: TestClient, method: str, url: str, headers: dict[str, str], counted: Statements) -> Any:
    """The answer, and how many SQL statements it took."""
    before = counted.count
    answer = client.request(
        method, url, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None
    )
    return answer, counted.count - before


def shape(response: Any, named: str) -> tuple[Any, ...]:
    """What a caller can compare between two answers: status, media type, the body's fields and, for an
    error, its code and words with the record's name taken out."""
    media = response.headers.get("content-type", "")
    if not media.startswith(("application/json", "application/problem+json")):
        return response.status_code, media, len(response.content) > 0
    body = response.json()
    if not isinstance(body, dict):
        return response.status_code, media, type(body).__name__
    # the name as a whole word only: a short id ("1") is also inside "/api/v1/"
    words = re.sub(rf"(?<![\w-]){re.escape(str(named))}(?![\w-])", "<record>", str(body.get("detail", "")))
    return response.status_code, media, sorted(body), body.get("code"), words


@pytest.fixture
def answers(
    fleet, role_headers, manual_clock, monkeypatch
) -> tuple[TestClient, dict[str, tuple[Any, Any, Any]], Statements]:
    # A cached token expires on real time: a run slower than the TTL (a loaded machine) would look each
    # token up again inside whichever request came next, one statement more than its pair.
    monkeypatch.setattr(auth_service, "CACHE_TTL_S", math.inf)
    populate(fleet, manual_clock)
    return TestClient(create_app()), subjects(fleet), Statements(fleet.engine)


def operations() -> list[tuple[str, str]]:
    document = create_app().openapi()
    return [
        (method.upper(), path)
        for path, verbs in document["paths"].items()
        for method in verbs
        if "{" in path and path.startswith("/api/v1/")
    ]


def test_another_tenants_record_answers_like_a_missing_one(answers, role_headers):
    client, values, counted = answers
    leaks, compared, covered, unseen = [], 0, set(), set()
    for headers in role_headers.values():  # a token's first request also looks the token up
        client.get("/api/v1/health/summary", headers=headers)
    for method, path in operations():
        urls = fill(path, values)
        if urls is None:
            continue
        covered.add((method, path))
        own, other, missing = urls
        for role, headers in role_headers.items():
            if (role, _kind(path)) in BY_DESIGN:
                continue
            seen_other, other_cost = _send(client, method, other, headers, counted)
            if role in STAFF:
                if method == "GET" and seen_other.status_code == 404:
                    unseen.add(path)
                continue
            seen_missing, missing_cost = _send(client, method, missing, headers, counted)
            compared += 1
            theirs = (*shape(seen_other, _name(other, missing)), other_cost)
            if theirs != (*shape(seen_missing, _name(missing, other)), missing_cost):
                leaks.append(
                    f"{method} {path} as {role}: {seen_other.status_code} in {other_cost} statements "
                    f"{seen_other.text[:160]} | missing: {seen_missing.status_code} in {missing_cost} "
                    f"statements {seen_missing.text[:160]}"
                )
    assert len(covered) >= 59, sorted(covered)  # the operations naming a tenant's record, listed above
    assert unseen == NOT_THERE_FOR_STAFF  # every other subject is real: staff read it
    assert compared and not leaks, "\n".join(leaks)


def _name(url: str, versus: str) -> str:
    """The path segment that names the record: where `url` and `versus` differ."""
    return next(a for a, b in zip(url.split("/"), versus.split("/"), strict=True) if a != b)
