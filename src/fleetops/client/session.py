"""The HTTP core every resource shares: one connection pool, the bearer token, problem+json turned into
`ApiError`, and cursor paging (`{"items", "next_cursor", "total"}`) followed for the caller."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError, create_model

from fleetops import __version__
from fleetops.client.errors import ApiError, BadAnswer, NotConfigured, Unreachable, reason

T = TypeVar("T")
PAGE_SIZE = 1000  # the most any fleetops list endpoint returns at once


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list. `more` says whether records are left after it; `total` (when the server
    counts, on a first page) says how many match in all."""

    items: list[T]
    next_cursor: str | None = None
    total: int | None = None
    more: bool = False


Reader = Callable[[bytes], Page[T]]  # a list response's body, as the page it holds


def _page(items: list[T], next_cursor: object, total: int | None) -> Page[T]:
    cursor = None if next_cursor is None else str(next_cursor)
    return Page(items, cursor, total, cursor is not None)


def item_by_item(parse: Callable[[Any], T]) -> Reader[T]:
    """Decode the body, then make each item what `parse` makes of it (a dict, a schema)."""

    def read(body: bytes) -> Page[T]:
        data = json.loads(body)
        return _page([parse(i) for i in data["items"]], data.get("next_cursor"), data.get("total"))

    return read


@cache
def _envelope(model: type[BaseModel]) -> type[BaseModel]:
    return create_model(
        f"{model.__name__}Page",
        items=(list[model], ...),  # type: ignore[valid-type]
        next_cursor=(str | int | None, None),
        total=(int | None, None),
    )


def validated(model: type[BaseModel]) -> Reader[Any]:
    """Validate the whole body as a page of `model` in one pass of pydantic's JSON parser: 1.7 ms for 500
    nodes, where decoding first and validating item by item took 4 ms."""
    envelope = _envelope(model)

    def read(body: bytes) -> Page[Any]:
        page: Any = envelope.model_validate_json(body)
        return _page(page.items, page.next_cursor, page.total)

    return read


def _what(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"
    return f"{type(exc).__name__}: {exc}"


class Session:
    def __init__(
        self,
        server: str,
        token: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        if not token:
            raise NotConfigured(
                "no API token: set --token, FLEETOPS_TOKEN or a profile's token "
                "(`fleetops token create --role operator` on the server)"
            )
        self.server = server.rstrip("/")
        self.http = httpx.Client(
            base_url=f"{self.server}/api/v1",
            headers={"Authorization": f"Bearer {token}", "User-Agent": f"fleetops-client/{__version__}"},
            transport=transport,
            timeout=timeout,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A query parameter given as None is left out: the commands pass their options as they come."""
        if kwargs.get("params") is not None:
            kwargs["params"] = {k: v for k, v in kwargs["params"].items() if v is not None}
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(self.server, reason(exc)) from None
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    def page(
        self, path: str, params: Mapping[str, Any], read: Reader[T], cursor: str | None = None
    ) -> Page[T]:
        response = self.request("GET", path, params={**params, "cursor": cursor})
        try:
            return read(response.content)
        except (ValueError, KeyError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
            raise BadAnswer(str(response.url), _what(exc)) from None

    def pages(
        self, path: str, params: Mapping[str, Any], read: Reader[T], limit: int | None = None
    ) -> Iterator[Page[T]]:
        """Pages until `limit` items (None: all) have come; the last one says whether more were left."""
        cursor, got = None, 0
        while True:
            size = PAGE_SIZE if limit is None else max(1, min(PAGE_SIZE, limit - got))
            page = self.page(path, {**params, "limit": size}, read, cursor)
            got += len(page.items)
            yield page
            if not page.more or (limit is not None and got >= limit):
                return
            cursor = page.next_cursor

    def items(
        self, path: str, params: Mapping[str, Any], read: Reader[T], limit: int | None = None
    ) -> Iterator[T]:
        for page in self.pages(path, params, read, limit):
            yield from page.items

    def listed(self, path: str, params: Mapping[str, Any], parse: Callable[[Any], T], limit: int) -> Page[T]:
        """An unpaged list endpoint (newest first, at most `limit`) as one page: full means maybe more."""
        rows = self.json("GET", path, params={**params, "limit": limit})
        return Page([parse(r) for r in rows], more=len(rows) >= limit)

    def close(self) -> None:
        self.http.close()
