"""Group commit for agent reports: POSTs that arrive within a short window are stored in one transaction.

At CB3 scale (10,000 nodes every 30 s) the control plane takes ~333 single-report POSTs a second. Stored
one by one, each pays a worker-thread hop, a transaction and five statements of its own, about 1.5 ms of
CPU; held for `window_s` and stored together (`ingest_posts`) they share all of that, the way databases
group log flushes. A POST is answered only after the transaction holding its reports commits, so an
accepted report is never lost; the agent waits a few milliseconds longer for its answer, which costs it
nothing (it reports every 30 s) and stays far inside the 1 s budget from an XID to an unhealthy node.

One failing POST never sinks the others: authentication is checked per POST, and if the group's
transaction fails as a whole, each POST is retried alone so only the one at fault gets the error.

The queue does not know how a group is stored: the control plane stores it (`stored_here`); a relay
(`health.relay`) forwards it to the control plane in one request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool

from fleetops.auth.choices import Role
from fleetops.auth.service import authenticate
from fleetops.db.session import get_database
from fleetops.errors import InvalidInput
from fleetops.health.ingest import MAX_BODY_BYTES, REPORTERS, IngestResult, Post, ingest_posts
from fleetops.wire import MAX_RELAYED, check_depth, relayed_decoder, validation_message

MAX_GROUP_POSTS = MAX_RELAYED  # a relay's group must fit in one relayed request
MAX_GROUP_BYTES = 8 * 1024 * 1024  # a draining spool posts batches of up to 64 reports: a few such fill it


@dataclass(slots=True)
class Posted:
    """One report POST as received: the agent's token and its body (None when over the size limit)."""

    token: str
    body: bytes | None
    size: int


@dataclass(slots=True)
class Waiting:
    posted: Posted
    arrived: float  # event-loop time: a POST waits at most `window_s` from here for its group to start
    answer: asyncio.Future[Any]


Store = Callable[[list[Posted]], Awaitable[list[Any]]]  # a group in, one outcome (or exception) per POST out


class Intake:
    """Queues report POSTs on the event loop and hands them to `store` in groups, up to `in_flight` groups
    at a time. More than one pays on PostgreSQL: while one group's transaction waits on the server, the
    next group's reports are parsed and judged (concurrent groups lock their nodes, `health.lookup`). On
    SQLite, a single writer, one is the right number."""

    def __init__(self, window_s: float, store: Store, in_flight: int = 1) -> None:
        self.window_s = window_s
        self.store = store
        self._waiting: list[Waiting] = []
        self._bytes = 0
        self._drainer: asyncio.Task[None] | None = None
        self._wake: asyncio.Future[None] | None = None  # what the drainer sleeps on during a window
        self._slots = asyncio.Semaphore(in_flight)
        self._storing: set[asyncio.Task[None]] = set()  # held here so a running group is never collected

    async def submit(self, token: str, body: bytes | None, size: int) -> Any:
        """The POST's outcome once its group is stored; its own error (bad token, role) if it has one."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        self._waiting.append(Waiting(Posted(token, body, size), loop.time(), answer))
        self._bytes += size
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        elif self._full():
            _wake_up(self._wake)  # a full group need not wait out the window
        return await answer

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            # Let the POSTs arriving meanwhile join this group; those that queued behind the previous
            # group have waited already.
            wait = self._waiting[0].arrived + self.window_s - loop.time()
            if wait > 0 and not self._full():
                self._wake = loop.create_future()
                timer = loop.call_later(wait, _wake_up, self._wake)
                await self._wake
                timer.cancel()
            await self._slots.acquire()  # POSTs arriving while every slot is busy join this group
            task = loop.create_task(self._answer(self._take()))
            self._storing.add(task)
            task.add_done_callback(self._storing.discard)

    async def _answer(self, group: list[Waiting]) -> None:
        """Store the group, free its slot, and answer each of its POSTs with its own outcome."""
        try:
            outcomes = await self.store([waiting.posted for waiting in group])
        except Exception as exc:  # noqa: BLE001 - nothing may leave a POST unanswered
            outcomes = [exc] * len(group)
        finally:
            self._slots.release()
        for waiting, outcome in zip(group, outcomes, strict=True):
            if waiting.answer.done():  # the client went away; its reports are stored all the same
                continue
            if isinstance(outcome, BaseException):
                waiting.answer.set_exception(outcome)
            else:
                waiting.answer.set_result(outcome)

    def _full(self) -> bool:
        return len(self._waiting) >= MAX_GROUP_POSTS or self._bytes >= MAX_GROUP_BYTES

    def _take(self) -> list[Waiting]:
        taken, size = 0, 0
        for waiting in self._waiting:
            posted = waiting.posted
            if taken and (taken >= MAX_GROUP_POSTS or size + posted.size > MAX_GROUP_BYTES):
                break
            taken, size = taken + 1, size + posted.size
        group, self._waiting = self._waiting[:taken], self._waiting[taken:]
        self._bytes -= size
        return group


def _wake_up(sleeper: asyncio.Future[None] | None) -> None:
    if sleeper is not None and not sleeper.done():
        sleeper.set_result(None)


async def stored_here(group: list[Posted]) -> list[IngestResult | BaseException]:
    """The control plane's store: the group in this process's database, on a worker thread."""
    return await run_in_threadpool(store_group, group)


def store_group(group: list[Posted]) -> list[IngestResult | BaseException]:
    """One transaction for the whole group; on failure, each POST alone, so the error stays with its own."""
    if len(group) > 1:
        try:
            return _store(group)
        except Exception:  # noqa: BLE001 - retried below, one POST at a time, where it is reported
            pass
    outcomes: list[IngestResult | BaseException] = []
    for posted in group:
        try:
            outcomes += _store([posted])
        except Exception as exc:  # noqa: BLE001 - handed to that POST's handler, which answers with it
            outcomes.append(exc)
    return outcomes


def _store(group: list[Posted]) -> list[IngestResult | BaseException]:
    outcomes: list[IngestResult | BaseException | None] = []
    posts: list[Post] = []
    with get_database().transaction() as session:
        for posted in group:
            try:
                who = authenticate(session, posted.token)
                who.require(*REPORTERS)  # here too, so a refused role answers its own POST only
            except Exception as exc:  # noqa: BLE001 - a refused token answers its own POST only
                outcomes.append(exc)
                continue
            outcomes.append(None)
            too_large = posted.size if posted.body is None else None
            posts.append(Post(who, posted.body, too_large))
        results = iter(ingest_posts(session, posts) if posts else [])
    return [next(results) if outcome is None else outcome for outcome in outcomes]


def relayed_posts(token: str, body: bytes | None, size: int) -> list[Posted]:
    """The agent POSTs a relay forwarded, once the relay's own token is checked (it may only relay)."""
    with get_database().transaction() as session:
        authenticate(session, token).require(Role.RELAY, Role.ADMIN)
    if body is None:
        raise InvalidInput(f"relayed posts: body is {size} bytes, over the {MAX_BODY_BYTES} byte limit")
    try:
        relayed = relayed_decoder.decode(body)
    except RecursionError:
        # Checked only now: scanning every relayed body would cost twice its decoding (5 ms for 32 reports)
        check_depth(body, "relayed posts")
        raise
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"relayed posts: {validation_message(exc)}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"relayed posts: body is not JSON ({exc})") from exc
    return [
        Posted(post.token, None if post.size > MAX_BODY_BYTES else bytes(post.body), post.size)
        for post in relayed.posts
    ]
