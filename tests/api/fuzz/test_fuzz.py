"""The API fuzzed as its OpenAPI document describes it: schemathesis draws requests for every operation,
valid ones and ones that break the schema, and each is sent with every role's token to the real app on
SQLite and PostgreSQL. Every answer must be below 500 (502/503 only where an external system is absent
here), every error problem+json with a status the document lists, every success the declared shape.

Time-boxed for `make test` (FLEETOPS_FUZZ_EXAMPLES cases per operation and mode, 3 by default: about
8,000 requests per database); set it higher for a longer hunt, e.g. FLEETOPS_FUZZ_EXAMPLES=50, and
FLEETOPS_FUZZ_PATHS=/api/v1/health/ to hunt in one corner.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fleetops.api.app import create_app
from fleetops.api.problems import MEDIA_TYPE, PROBLEM_SCHEMA
from fleetops.db.session import Database
from tests.api.fuzz.conftest import populate

EXAMPLES = int(os.environ.get("FLEETOPS_FUZZ_EXAMPLES", "3"))
SHARDS = 4
# Operations that reach a system this test runs without (Prometheus, NetBox, the procurement feed): their
# 502/503 is the documented answer, and is checked to be problem+json like any error.
EXTERNAL = ("/api/v1/prometheus/", "/api/v1/assets/netbox/", "/api/v1/assets/procurement/")
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass(frozen=True)
class Failure:
    operation: str
    role: str
    status: int
    why: str
    curl: str

    def __str__(self) -> str:
        return f"{self.operation} as {self.role}: {self.status} {self.why}\n    {self.curl}"


def _problem_errors(response: Any) -> str | None:
    """Why an error answer is not problem+json with the Problem schema's fields, or None."""
    if not response.headers.get("content-type", [""])[0].startswith(MEDIA_TYPE):
        return f"content-type {response.headers.get('content-type')}, not {MEDIA_TYPE}: {response.text[:200]}"
    body = response.json()
    missing = [field for field in PROBLEM_SCHEMA["required"] if field not in body]
    if missing or body.get("status") != response.status_code:
        return f"problem body lacks {missing} or disagrees on status: {response.text[:200]}"
    return None


def judge(case: Any, response: Any, role: str) -> Iterator[Failure]:
    status, label = response.status_code, case.operation.label
    external = case.operation.path.startswith(EXTERNAL) and status in (502, 503)
    if status >= 500 and not external:
        yield Failure(label, role, status, response.text[:300], case.as_curl_command())
    if status >= 400:
        why = _problem_errors(response)
        if why:
            yield Failure(label, role, status, why, case.as_curl_command())
    if case.meta.generation.mode is GenerationMode.NEGATIVE:
        return  # a schema-breaking request: its refusal is judged above; the shape checks assume a valid one
    try:
        case.validate_response(response, checks=CHECKS)
    except (AssertionError, FailureGroup) as exc:
        yield Failure(label, role, status, str(exc).strip()[:400], case.as_curl_command())


def fuzz(
    operation: Any, headers: dict[str, dict[str, str]], mode: GenerationMode
) -> tuple[list[Failure], int]:
    """The bad answers to the requests drawn for `operation` in `mode`, and how many requests were sent."""
    found: list[Failure] = []
    sent = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: a red build is a bug, never a bad draw
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal sent
        for role, header in headers.items():
            sent += 1
            response = case.call(headers=header)
            found.extend(judge(case, response, role))

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to break: no parameter, no body
    return found, sent


@pytest.fixture(scope="module")
def api_schema() -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app())


def operations(api_schema: Any, shard: int) -> list[Any]:
    only = os.environ.get("FLEETOPS_FUZZ_PATHS", "")  # e.g. /api/v1/health/: a hunt in one corner
    every = [op for op in (r.ok() for r in api_schema.get_all_operations()) if only in op.path]
    return [op for i, op in enumerate(sorted(every, key=lambda o: o.label)) if i % SHARDS == shard]


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_operation_as_every_role(
    api_schema: Any, fleet: Database, role_headers: dict[str, dict[str, str]], shard: int, manual_clock: Any
) -> None:
    populate(fleet, manual_clock)  # answers with records in them, so their declared shapes are checked
    chosen = operations(api_schema, shard)
    if not chosen and os.environ.get("FLEETOPS_FUZZ_PATHS"):
        pytest.skip("FLEETOPS_FUZZ_PATHS leaves this shard no operation")
    assert chosen, "no operation in this shard: the OpenAPI document lost its paths"
    failures, sent = [], 0
    for operation in chosen:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            found, count = fuzz(operation, role_headers, mode)
            failures, sent = failures + found, sent + count
    unique = {(f.operation, f.status, f.why[:80]): f for f in failures}
    if os.environ.get("FLEETOPS_FUZZ_LOG"):  # the figures docs/testing.md quotes
        with open(os.environ["FLEETOPS_FUZZ_LOG"], "a") as log:
            log.write(
                f"{'sqlite' if fleet.is_sqlite else 'postgresql'} shard={shard} operations={len(chosen)} "
                f"requests={sent} bad={len(failures)} distinct={len(unique)}\n"
            )
    assert not unique, f"{len(failures)} bad answers:\n" + "\n".join(str(f) for f in unique.values())


# Reads of records that exist, which random path values seldom name: their answers, full of data, are
# checked against the declared shapes too.
LIVED_IN = [
    ("/api/v1/health/nodes/{node}", {"node": "a000"}),
    ("/api/v1/health/nodes/{node}/qualifications", {"node": "a000"}),
    ("/api/v1/health/nodes/{node}/requests", {"node": "a000"}),
    ("/api/v1/nodes/{key}", {"key": "a000"}),
    ("/api/v1/contracts/{key}", {"key": "initech-2026"}),
    ("/api/v1/clusters/{key}", {"key": "alpha"}),
    ("/api/v1/gpus/{key}", {"key": "GPU-a000-3"}),
    ("/api/v1/alerts/incidents/{incident_id}", {"incident_id": 1}),
    ("/api/v1/remediation/runs/{run_id}", {"run_id": 1}),
    ("/api/v1/remediation/clusters/{cluster}/settings", {"cluster": "alpha"}),
    ("/api/v1/deployments/{name}", {"name": "r1"}),
    ("/api/v1/inventory/export", {}, {"format": "json"}),
    ("/api/v1/alerts/{alert_id}/explain", {"alert_id": 1}),
    ("/api/v1/alerts/measures", {}),
    ("/api/v1/security/findings", {}),
    ("/api/v1/security/imports", {}),
    ("/api/v1/security/dashboard", {}),
    ("/api/v1/security/hardening", {}),
    ("/api/v1/security/freshness", {}),
    ("/api/v1/security/affected", {}, {"cve": "CVE-2026-0001"}),
    ("/api/v1/security/software/{hostname}", {"hostname": "a000"}),
    ("/api/v1/security/updates/{name}", {"name": "u-alpha"}, {"timeline": "true"}),
    ("/api/v1/assets/{serial}", {"serial": "SN-a000"}),
    ("/api/v1/assets/sla", {}),
    ("/api/v1/assets/trackability", {}),
    ("/api/v1/scorecards", {}),
    ("/api/v1/scorecards/suppliers/{name}", {"name": "acme"}),
    ("/api/v1/okr", {}),
    ("/api/v1/clustermax/{cluster}", {"cluster": "alpha"}),
]


def test_answers_about_real_records_match_their_declared_shapes(
    api_schema: Any, fleet: Database, role_headers: dict[str, dict[str, str]], manual_clock: Any
) -> None:
    populate(fleet, manual_clock)
    for path, parameters, *query in LIVED_IN:
        case = api_schema[path]["GET"].Case(path_parameters=parameters, query=query[0] if query else None)
        response = case.call(headers=role_headers["admin"])
        assert response.status_code == 200, (path, response.text[:300])
        case.validate_response(response, checks=CHECKS)
