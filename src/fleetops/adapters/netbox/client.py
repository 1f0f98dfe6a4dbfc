"""NetBox REST, thin: list with cursor paging, bulk create and update, the request id of each write.

Lists page by id (`?id__gt=<last>&ordering=id&limit=N`), a cursor that neither skips nor repeats rows
while others write. A bulk POST or PATCH of a list is one database transaction in NetBox: all of the
batch or none. A 4xx is NetBox refusing the data: its field errors become one InvalidInput naming them.
A 5xx or a dropped connection is retried with backoff, then an ExternalError marked retryable, so the
caller's transaction (fleetops' state) rolls back and the next sync resumes from what was written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from fleetops.errors import ExternalError, InvalidInput

REQUEST_ID = "X-Request-ID"


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
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        scheme = "Bearer" if token.startswith("nbt_") else "Token"  # v2 tokens, else v1
        headers = {"Authorization": f"{scheme} {token}", "Accept": "application/json"}
        self.http = httpx.Client(
            base_url=f"{url.rstrip('/')}/api", headers=headers, verify=verify, transport=transport, timeout=60
        )
        self.page, self.retries, self.backoff_s, self.sleep = page, retries, backoff_s, sleep
        self.last_request_id: str | None = None

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                failure = f"netbox {method} {path}: {exc}"
            else:
                if response.status_code < 400:
                    self.last_request_id = response.headers.get(REQUEST_ID)
                    return response
                if response.status_code < 500 and response.status_code != 429:
                    raise InvalidInput(f"netbox refused {method} {path}: {_errors(response)}")
                failure = f"netbox {method} {path} answered {response.status_code}"
            if attempt < self.retries:
                self.sleep(self.backoff_s * 2**attempt)
        raise ExternalError(failure, retryable=True)

    def list(self, endpoint: str, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every object of `endpoint` (e.g. dcim/devices), oldest id first."""
        last = 0
        while True:
            params = {"id__gt": last, "ordering": "id", "limit": self.page, **filters}
            rows = self._call("GET", f"/{endpoint}/", params=params).json()["results"]
            yield from rows
            if len(rows) < self.page:
                return
            last = rows[-1]["id"]

    def bulk_create(self, endpoint: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self._call("POST", f"/{endpoint}/", json=objects).json())

    def bulk_update(self, endpoint: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each object carries its `id`."""
        return list(self._call("PATCH", f"/{endpoint}/", json=objects).json())

    def close(self) -> None:
        self.http.close()


def _errors(response: httpx.Response) -> str:
    """NetBox's field errors as one line: `serial: ['This field is required.']`, per object for a list."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:200]}"
    items = body if isinstance(body, list) else [body]
    parts = [
        f"object {i}: " * (len(items) > 1) + "; ".join(f"{field}: {msg}" for field, msg in item.items())
        for i, item in enumerate(items)
        if item
    ]
    return f"{response.status_code} " + " | ".join(parts)
