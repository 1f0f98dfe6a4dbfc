"""What can go wrong talking to a fleetops server, as one small tree the CLI turns into one line each.

ClientError        the root: a one-line message
├── NotConfigured  no token, an unknown profile, an unreadable client config file
├── Unreachable    the server did not answer (refused, DNS, timeout, TLS)
├── BadAnswer      a 2xx answer that is not what fleetops sends (a proxy's page, a broken record)
└── ApiError       the server answered a problem+json (RFC 9457): status, title, detail, code
"""

from __future__ import annotations

from typing import Any

import httpx


class ClientError(Exception):
    """Root of the client's failures; `str()` is the whole story in one line."""


class NotConfigured(ClientError):
    pass


class Unreachable(ClientError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach {url}: {reason} (set --server or FLEETOPS_URL)")
        self.url, self.reason = url, reason


class BadAnswer(ClientError):
    def __init__(self, url: str, what: str) -> None:
        super().__init__(f"{url}: not a fleetops answer: {what}")
        self.url, self.what = url, what


class ApiError(ClientError):
    """A refusal from the API, carrying the problem's fields so a script can branch on `status` or `code`."""

    def __init__(self, status: int, title: str, detail: str, code: str = "", retryable: bool = False) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.code, self.retryable = (
            status,
            title,
            detail,
            code,
            retryable,
        )

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):  # not fleetops answering (a proxy's HTML page, say)
            text = " ".join(response.text.split())[:200]
            return cls(response.status_code, response.reason_phrase, text or response.reason_phrase)
        return cls(
            response.status_code,
            str(body.get("title") or response.reason_phrase),
            str(body.get("detail") or body.get("title") or ""),
            str(body.get("code") or ""),
            bool(body.get("retryable", False)),
        )


def reason(exc: httpx.TransportError) -> str:
    """The words an operator expects for a transport failure ("connection refused"), not httpx's class."""
    text = str(exc).lower()
    for needle, words in (
        ("refused", "connection refused"),
        ("name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("certificate", "TLS certificate not trusted"),
    ):
        if needle in text:
            return words
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return str(exc) or type(exc).__name__
