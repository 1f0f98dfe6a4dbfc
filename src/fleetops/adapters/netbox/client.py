"""NetBox REST, thin: list with cursor paging, bulk create and update, the request id of each write.

Lists page by id (`?id__gt=<last>&ordering=id&limit=N`), a cursor that neither skips nor repeats rows
while others write. A bulk POST or PATCH of a list is one database transaction in NetBox: all of the
batch or none. A 4xx is NetBox refusing the data: its field errors become one InvalidInput naming them.
A 5xx or a failed connection is retried with backoff, then an ExternalError marked retryable, so the
caller's transaction (fleetops' state) rolls back and the next sync resumes from what was written. A
POST whose answer was lost after it was sent (a timeout) is not sent again: it may have landed, and the
next sync links what did by its natural key (assets/netbox_sync.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from fleetops.errors import ExternalError, InvalidInput

REQUEST_ID = "X-Request-ID"
SHOWN = 5  # refused entries named in an error: a batch of 500 with one mistake repeated is still one line


class NetboxClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        page: int = 1000,
        retries: int = 4,
        backoff_s: float = 0.5,
        verify: bool = True,
        timeout_s: float = 300.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        scheme = "Bearer" if token.startswith("nbt_") else "Token"  # v2 tokens, else v1
        headers = {"Authorization": f"{scheme} {token}", "Accept": "application/json"}
        self.http = httpx.Client(
            base_url=f"{url.rstrip('/')}/api",
            headers=headers,
            verify=verify,
            transport=transport,
            timeout=timeout_s,
        )
        self.page, self.retries, self.backoff_s, self.sleep = page, retries, backoff_s, sleep
        self._answered = threading.local()

    @property
    def last_request_id(self) -> str | None:
        """NetBox's id of this thread's last answered request: the sync writes several batches at once,
        each from a thread of its own (httpx's client is shared between threads)."""
        return getattr(self._answered, "request_id", None)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                failure = f"netbox {method} {path}: {exc!r}"
                if method == "POST" and not isinstance(exc, httpx.ConnectError):
                    break  # it may have landed: the next sync adopts what did instead of creating it twice
            else:
                if response.status_code < 400:
                    self._answered.request_id = response.headers.get(REQUEST_ID)
                    return response
                if response.status_code < 500 and response.status_code != 429:
                    raise InvalidInput(f"netbox refused {method} {path}: {_errors(response)}")
                failure = f"netbox {method} {path} answered {response.status_code}"
            if attempt < self.retries:
                self.sleep(self.backoff_s * 2**attempt)
        raise ExternalError(failure, retryable=True)

    def bulk_create(self, endpoint: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self._call("POST", f"/{endpoint}/", json=objects).json())

    def bulk_update(self, endpoint: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each object carries its `id`."""
        return list(self._call("PATCH", f"/{endpoint}/", json=objects).json())

    def list(self, endpoint: str, after: int = 0, **filters: Any) -> Iterator[dict[str, Any]]:  # shadows list
        """Every object of `endpoint` (e.g. dcim/devices) whose id is above `after`, oldest id first."""
        last = after
        while True:
            params = {"id__gt": last, "ordering": "id", "limit": self.page, **filters}
            rows = self._call("GET", f"/{endpoint}/", params=params).json()["results"]
            yield from rows
            if len(rows) < self.page:
                return
            last = rows[-1]["id"]

    def latest_id(self, endpoint: str) -> int:
        """The highest id `endpoint` holds now (0: none), to start reading it from the present on."""
        rows = self._call("GET", f"/{endpoint}/", params={"ordering": "-id", "limit": 1}).json()["results"]
        return int(rows[0]["id"]) if rows else 0

    def close(self) -> None:
        self.http.close()


def ref_id(ref: Any) -> Any:
    """A reference as NetBox answers it, nested (`{"id": 3, "name": ...}`) or bare (3): the id."""
    return ref["id"] if isinstance(ref, dict) else ref


def choice(field: Any) -> Any:
    """A choice field as NetBox answers it (`{"value": "active", "label": "Active"}`): the value; any other
    value as it is."""
    return field["value"] if isinstance(field, dict) and "value" in field else field


def _errors(response: httpx.Response) -> str:
    """NetBox's field errors as one line. A bulk write (4.7) answers `{"detail": "1 of 3 objects could not
    be created.", "errors": [{"index" or "id": ..., "errors": {field: [...]}}]}`; a single object, its
    fields: `serial: ['This field is required.']`."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {' '.join(response.text.split())[:200]}"  # an HTML page: its start
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        entries = [f"{_entry(e)}: {_fields(e['errors'])}" for e in body["errors"][:SHOWN]]
        more = f" | and {len(body['errors']) - SHOWN} more" if len(body["errors"]) > SHOWN else ""
        return f"{response.status_code} {body.get('detail', '')} " + " | ".join(entries) + more
    return f"{response.status_code} {_fields(body)}"


def _entry(error: dict[str, object]) -> str:
    return f"entry {error['index']}" if "index" in error else f"id {error.get('id')}"


def _fields(errors: object) -> str:
    if not isinstance(errors, dict):
        return str(errors)
    return "; ".join(f"{field}: {message}" for field, message in errors.items())
