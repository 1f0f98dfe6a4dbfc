"""The API fuzzed as its OpenAPI document describes it: schemathesis draws requests for every operation,
valid ones and ones that break the schema, and each is sent with every role's token to the real app on
SQLite and PostgreSQL. Every answer must be below 500 (502/503 only where an external system is absent
here), every error problem+json with a status the document lists, every success the declared shape.

Time-boxed for `make test` (FLEETOPS_FUZZ_EXAMPLES cases per operation and mode, 3 by default: about
8,000 requests per database); set it higher for a longer hunt, e.g. FLEETOPS_FUZZ_EXAMPLES=50.
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


def fuzz(operation: Any, headers: dict[str, dict[str, str]], mode: GenerationMode) -> list[Failure]:
    found: list[Failure] = []

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
        for role, header in headers.items():
            response = case.call(headers=header)
            found.extend(judge(case, response, role))

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to break: no parameter, no body
    return found


@pytest.fixture(scope="module")
def api_schema() -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app())


def operations(api_schema: Any, shard: int) -> list[Any]:
    every = [result.ok() for result in api_schema.get_all_operations()]
    return [op for i, op in enumerate(sorted(every, key=lambda o: o.label)) if i % SHARDS == shard]


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_operation_as_every_role(
    api_schema: Any, fleet: Database, role_headers: dict[str, dict[str, str]], shard: int
) -> None:
    chosen = operations(api_schema, shard)
    assert chosen, "no operation in this shard: the OpenAPI document lost its paths"
    failures = [
        failure
        for operation in chosen
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for failure in fuzz(operation, role_headers, mode)
    ]
    unique = {(f.operation, f.status, f.why[:80]): f for f in failures}
    assert not unique, f"{len(failures)} bad answers:\n" + "\n".join(str(f) for f in unique.values())
