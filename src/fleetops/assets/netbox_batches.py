"""NetBox's filtered reads a chunk of values at a time, and its bulk writes several at once. NetBox spends
its own time on each object (validation, change log, search index: ~60 ms on two shared cores), so a first
sync of 90,000 objects is bound by how many of NetBox's workers write at once, not by fleetops; each batch
stays one all-or-none NetBox transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from fleetops.audit.service import Change, record

if TYPE_CHECKING:  # the sync writes through this module
    from fleetops.assets.netbox_sync import NetBox

Objects = list[dict[str, Any]]
CHUNK = 100  # values per filtered read: NetBox takes them in the URL


def filtered(netbox: NetBox, endpoint: str, field: str, values: list[Any]) -> Iterator[dict[str, Any]]:
    """The objects of `endpoint` whose `field` is one of `values` (`?id=1&id=2`), CHUNK values a read:
    what the sync may change or link, not the 80,000 GPUs of the fleet."""
    for start in range(0, len(values), CHUNK):
        chunk: dict[str, Any] = {field: values[start : start + CHUNK]}
        yield from netbox.list(endpoint, **chunk)


def audited(
    session: Session, actor: str, how: str, endpoint: str, keys: Sequence[Any], request_id: str | None
) -> None:
    """The audit entry of one batch NetBox took (`netbox.created`, `.updated`, `.adopted`): how many
    objects, NetBox's request id, the first 20 keys."""
    change = {"objects": len(keys), "request_id": request_id, "keys": [str(k) for k in keys[:20]]}
    record(session, actor, Change(f"netbox.{how}", "netbox", endpoint, change))


def in_parallel(
    netbox: NetBox,
    write: Callable[[str, Objects], Objects],
    endpoint: str,
    payloads: list[Objects],
    concurrency: int,
) -> Iterator[tuple[int, str | None, Objects]]:
    """Each batch written by `write` (all or none in NetBox), at most `concurrency` at once, the next sent
    as one lands; yielded as it lands, (its index, NetBox's request id, NetBox's answer), for the caller to
    commit its links in its own thread. After a failure no further batch starts; those in flight land and
    are yielded, then the first failure is raised: fleetops holds the links of everything NetBox took, and
    the next sync resumes. With `concurrency` 1 it is the one-at-a-time loop."""

    def one(payload: Objects) -> tuple[str | None, Objects]:
        made = write(endpoint, payload)
        return netbox.last_request_id, made  # this thread's request

    failure: BaseException | None = None
    queued = iter(enumerate(payloads))
    running: dict[Future[tuple[str | None, Objects]], int] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="netbox-batch") as pool:
        while True:
            while failure is None and len(running) < concurrency and (item := next(queued, None)):
                running[pool.submit(one, item[1])] = item[0]
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                n = running.pop(future)
                if (error := future.exception()) is not None:
                    failure = failure or error
                    continue
                rid, made = future.result()
                yield n, rid, made
    if failure is not None:
        raise failure
