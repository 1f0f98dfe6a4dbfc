"""Several bulk writes in flight at once: the same NetBox as one at a time, each batch's own request id in
its audit entry, and a refused batch stopping the rest with the links of what landed kept."""

from __future__ import annotations

import itertools
import threading

import httpx
import pytest
from sqlalchemy import func, select

from fleetops.adapters.netbox.fake import FakeNetbox
from fleetops.assets import netbox_sync
from fleetops.assets.models import NetboxLink
from fleetops.audit.models import AuditEvent
from fleetops.db.session import Database
from fleetops.errors import InvalidInput
from tests.assets.test_netbox import client


def test_batches_in_parallel_write_what_one_at_a_time_writes(shipped: Database) -> None:
    fake = FakeNetbox()
    original, threads = fake.handle_request, set()
    together, first = threading.Barrier(2, timeout=10), itertools.count()

    def seen(request: httpx.Request) -> httpx.Response:
        threads.add(threading.current_thread().name)
        if request.method == "POST" and request.url.path.endswith("/inventory-items/") and next(first) < 2:
            together.wait()  # the first two GPU batches meet: in flight at once, however loaded the machine
        return original(request)

    fake.handle_request = seen  # type: ignore[method-assign]
    done = netbox_sync.sync(shipped, client(fake), "test", batch=4, concurrency=4)
    assert done == {
        "regions created": 1, "sites created": 2, "racks created": 2, "devices created": 6, "gpus created": 48
    }  # fmt: skip
    assert len({t for t in threads if t.startswith("netbox-batch")}) > 1
    gpus = fake.objects["dcim/inventory-items"].values()
    assert sorted(g["serial"] for g in gpus) == sorted({g["serial"] for g in gpus}) and len(gpus) == 48
    with shipped.transaction() as session:
        ids = session.scalars(
            select(AuditEvent.changes["request_id"].as_string()).where(AuditEvent.action == "netbox.created")
        ).all()
        linked = dict(session.execute(select(NetboxLink.key, NetboxLink.netbox_id)).all())
    assert len(ids) == len(set(ids)) == 1 + 1 + 1 + 2 + 12  # each batch's own request id, not a neighbour's
    by_serial = {g["serial"]: g["id"] for g in gpus}
    assert linked["SN-b002/gpu7"] == by_serial["S-b002-7"]  # each link is the object its batch made
    assert netbox_sync.sync(shipped, client(fake), "test", batch=4, concurrency=4) == {}


def test_a_refused_batch_stops_the_rest_and_keeps_what_landed(shipped: Database) -> None:
    fake = FakeNetbox()
    original, posts = fake.handle_request, []

    def refusing_the_third(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "inventory-items" in str(request.url):
            posts.append(request)
            if len(posts) == 3:
                return httpx.Response(
                    400, json={"detail": "1 of 4 objects could not be created.", "errors": []}
                )
        return original(request)

    fake.handle_request = refusing_the_third  # type: ignore[method-assign]
    with pytest.raises(InvalidInput):
        netbox_sync.sync(shipped, client(fake), "test", batch=4, concurrency=2)
    landed = len(fake.objects["dcim/inventory-items"])
    assert 8 <= landed < 48 and len(posts) < 12  # what was in flight landed; nothing started after
    with shipped.transaction() as session:
        kept = session.scalar(select(func.count()).where(NetboxLink.kind == "gpus"))
    assert kept == landed
    fake.handle_request = original  # type: ignore[method-assign]
    assert netbox_sync.sync(shipped, client(fake), "test", batch=4, concurrency=2) == {
        "gpus created": 48 - landed
    }
