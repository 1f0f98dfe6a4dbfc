"""Zip's REST API, read-only: GET {url}/{resource}?page_size=N[&page_token=T] with the `Zip-Api-Key` and
`Zip-Api-Version` headers, answered `{"list": [...], "next_page_token": T | null}`; the last page has no
token. Resources: `vendors`, `purchase_orders`, `invoices` (their record shapes: `fake.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from fleetops.adapters.pagerduty.client import raise_for
from fleetops.errors import ExternalError

RESOURCES = ("vendors", "purchase_orders", "invoices")


class ZipClient:
    def __init__(
        self,
        url: str,
        api_key: str,
        api_version: str,
        *,
        page_size: int = 100,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Zip-Api-Key": api_key, "Zip-Api-Version": api_version, "Accept": "application/json"}
        self.http = httpx.Client(
            base_url=url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )
        self.page_size = page_size

    def records(self, resource: str) -> Iterator[dict[str, Any]]:
        """Every record of `resource`, page by page, following `next_page_token` to the end."""
        token: str | None = None
        while True:
            params: dict[str, Any] = {"page_size": self.page_size} | ({"page_token": token} if token else {})
            try:
                response = self.http.get(f"/{resource}", params=params)
            except httpx.TransportError as exc:
                raise ExternalError(f"zip {resource}: {exc}", retryable=True) from exc
            raise_for(response, "zip")
            body = response.json()
            yield from body.get("list", [])
            token = body.get("next_page_token")
            if not token:
                return

    def close(self) -> None:
        self.http.close()
