"""Bad input never crashes ingestion and is never silently lost: property-based, on the service itself."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.health.ingest import ingest
from fleetops.health.models import HealthRejection
from fleetops.wire import dump_report
from tests.health.reports import report

WHO = Principal(Role.OPERATOR, "fuzz")
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _rejections(database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(HealthRejection))


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_random_bytes_get_a_4xx_and_a_recorded_rejection(sqlite_database, raw):
    before = _rejections(sqlite_database)
    with sqlite_database.transaction() as session:
        result = ingest(session, WHO, raw)
    assert 400 <= result.status < 500
    assert _rejections(sqlite_database) == before + result.count("rejected") >= before + 1


@SETTINGS
@given(data=JSONISH)
def test_random_json_is_refused_with_a_reason(sqlite_database, data):
    with sqlite_database.transaction() as session:
        result = ingest(session, WHO, json.dumps(data).encode())
    assert result.status in (409, 422)
    assert all(r.detail for r in result.results if r.outcome == "rejected")


@SETTINGS
@given(
    cut=st.integers(min_value=1, max_value=2000), field=st.sampled_from(["hostname", "gpus", "collected_at"])
)
def test_truncated_or_mangled_real_reports(sqlite_database, cut, field):
    whole = dump_report(report("a000"))
    mangled = json.loads(whole) | {field: {"nested": [1, 2, 3]}}
    for payload in (whole[:cut], json.dumps(mangled).encode()):
        with sqlite_database.transaction() as session:
            result = ingest(session, WHO, payload)
        assert result.status == 422 and result.results[0].outcome == "rejected"
