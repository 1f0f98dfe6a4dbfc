"""Group commit of report POSTs: concurrent POSTs share one transaction, and each keeps its own outcome."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from fleetops import clock
from fleetops.auth.choices import Role
from fleetops.auth.principal import Principal
from fleetops.errors import Unauthenticated
from fleetops.health import intake as intake_module
from fleetops.health.ingest import Post, ingest_posts
from fleetops.health.intake import Intake, Posted, stored_here
from fleetops.health.models import HealthFinding, HealthReport, NodeHealth
from tests.health.conftest import node_id
from tests.health.reports import body, report, xid

HOSTS = ["a000", "a001", "b000", "b001"]


def _secret(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def commits(fleet) -> Iterator[list[int]]:
    seen: list[int] = []

    def count(_connection) -> None:
        seen.append(1)

    event.listen(fleet.engine, "commit", count)
    yield seen
    event.remove(fleet.engine, "commit", count)


def _stored(database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(HealthReport))


async def _submit_all(intake: Intake, posts: list[tuple[str, bytes]]) -> list[object]:
    tasks = [intake.submit(token, payload, len(payload)) for token, payload in posts]
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_concurrent_posts_share_one_transaction_and_keep_their_own_results(fleet, tokens, commits):
    admin = _secret(tokens["admin"])
    posts = [(admin, body(report(host))) for host in HOSTS]
    results = asyncio.run(_submit_all(Intake(0.05, stored_here), posts))
    assert [r.status for r in results] == [200] * 4
    assert [r.results[0].hostname for r in results] == HOSTS
    assert [list(r.requests) for r in results] == [[host] for host in HOSTS]
    assert len(commits) == 1
    assert _stored(fleet) == 4


def test_a_refused_token_answers_only_its_own_post(fleet, tokens, commits):
    agent_a = _secret(tokens["a000"])
    posts = [(agent_a, body(report("a000"))), ("fo_bogus_secret", body(report("a001")))]
    posts.append((agent_a, body(report("b000"))))  # an agent token bound to another node: refused, recorded
    ok, unknown, wrong_node = asyncio.run(_submit_all(Intake(0.05, stored_here), posts))
    assert ok.status == 200
    assert isinstance(unknown, Unauthenticated)
    assert wrong_node.status == 422 and wrong_node.results[0].outcome == "rejected"
    assert len(commits) == 1
    assert _stored(fleet) == 1


def test_a_group_that_fails_is_stored_post_by_post_and_only_the_culprit_errs(
    fleet, tokens, commits, monkeypatch
):
    real = intake_module.ingest_posts
    poison = body(report("a001"))

    def failing(session, posts, catalog=None):
        if any(post.body == poison for post in posts):
            raise RuntimeError("storage refused the batch")
        return real(session, posts, catalog)

    monkeypatch.setattr(intake_module, "ingest_posts", failing)
    admin = _secret(tokens["admin"])
    posts = [(admin, body(report("a000"))), (admin, poison), (admin, body(report("b000")))]
    first, culprit, last = asyncio.run(_submit_all(Intake(0.05, stored_here), posts))
    assert first.status == 200 and last.status == 200
    assert isinstance(culprit, RuntimeError)
    assert _stored(fleet) == 2


def test_a_post_whose_client_went_away_is_still_stored(fleet, tokens):
    admin = _secret(tokens["admin"])

    async def scenario() -> object:
        intake = Intake(0.05, stored_here)
        gone = asyncio.create_task(intake.submit(admin, body(report("a000")), 1))
        kept = asyncio.create_task(intake.submit(admin, body(report("a001")), 1))
        await asyncio.sleep(0.01)
        gone.cancel()
        return await kept

    assert asyncio.run(scenario()).status == 200
    assert _stored(fleet) == 2


def test_a_group_that_fills_up_is_stored_without_waiting_out_the_window(fleet, tokens, monkeypatch):
    monkeypatch.setattr(intake_module, "MAX_GROUP_POSTS", 2)
    admin = _secret(tokens["admin"])

    async def timed() -> float:
        loop, intake = asyncio.get_running_loop(), Intake(30, stored_here)
        start = loop.time()
        first = asyncio.create_task(intake.submit(admin, body(report("a000")), 1))
        await asyncio.sleep(0.05)  # the drainer is asleep in its window when the second POST fills the group
        second = asyncio.create_task(intake.submit(admin, body(report("a001")), 1))
        await asyncio.gather(first, second)
        return loop.time() - start

    assert asyncio.run(timed()) < 10
    assert _stored(fleet) == 2


def test_with_two_in_flight_the_next_group_is_stored_while_the_first_still_is():
    async def most_at_once(in_flight: int) -> int:
        gate, storing, most = asyncio.Event(), [0], [0]

        async def slow(group: list[Posted]) -> list[object]:
            storing[0] += 1
            most[0] = max(most[0], storing[0])
            await gate.wait()
            storing[0] -= 1
            return [len(group)] * len(group)

        intake = Intake(0.01, slow, in_flight)
        first = asyncio.create_task(intake.submit("t", b"{}", 2))
        await asyncio.sleep(0.05)  # the first group is in the store, held at the gate
        second = asyncio.create_task(intake.submit("t", b"{}", 2))
        await asyncio.sleep(0.05)
        gate.set()
        assert await asyncio.gather(first, second) == [1, 1]
        return most[0]

    assert asyncio.run(most_at_once(1)) == 1
    assert asyncio.run(most_at_once(2)) == 2


def test_a_batch_for_a_node_another_batch_is_storing_waits_and_judges_after_it(fleet, tokens):
    """Two groups in flight, a relay's request beside the intake's group, or two API processes may hold
    reports of one node. The second must not judge from the state before the first and overwrite its
    verdict: PostgreSQL locks the node rows, SQLite takes its write lock before the first read."""
    who, start = Principal(Role.OPERATOR, "test"), clock.now()
    with fleet.transaction() as session:  # the node was healthy, with nothing open: its state row says so
        ingest_posts(session, [Post(who, body(report("a000", at=start - timedelta(seconds=30))))])
    faulty = body(report("a000", xids=[xid(79)], at=start))
    healthy = body(report("a000", at=start + timedelta(seconds=1)))
    stored, release = threading.Event(), threading.Event()

    def first() -> None:
        with fleet.transaction() as session:
            ingest_posts(session, [Post(who, faulty)])
            stored.set()
            release.wait(10)  # holds its transaction open, as a slow group would

    posted = Posted(_secret(tokens["operator"]), healthy, len(healthy))
    outcomes: list = []

    def second() -> None:  # the intake's own store, as a group or a relayed request is stored
        outcomes.extend(intake_module.store_group([posted]))

    holder, follower = threading.Thread(target=first), threading.Thread(target=second)
    holder.start()
    assert stored.wait(10)
    follower.start()
    follower.join(0.5)
    assert follower.is_alive(), "the second batch did not wait for the first one's node lock"
    release.set()
    holder.join(10)
    follower.join(10)
    assert [outcome.status for outcome in outcomes] == [200]
    with fleet.transaction() as session:
        state, open_count = session.execute(
            select(NodeHealth.state, NodeHealth.open_findings).where(
                NodeHealth.node_id == node_id(fleet, "a000")
            )
        ).one()
        findings = session.scalar(
            select(func.count()).select_from(HealthFinding).where(HealthFinding.resolved_at.is_(None))
        )
    assert state == "unhealthy"  # the XID 79 is an event: a later healthy report does not close it
    assert open_count == findings >= 1
