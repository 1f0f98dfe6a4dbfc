"""The one error hierarchy of fleetops, so the API, the CLI and the workers report failures alike.

FleetopsError              code, message, retryable; the root every domain error derives from
├── InvalidInput           422  a record or field is malformed or contradicts another (names both)
│   └── InvalidTransition  409  a state machine was asked for a move its table does not allow
├── NotFound               404  no such record, or one the caller may not see (never 403: no probing)
├── Conflict               409  a unique key (serial, hostname, GPU UUID...) is already taken
├── Unauthenticated        401  no token, or a token that does not match
├── Forbidden              403  the caller's role may not perform this action at all
└── ExternalError          502  an external system (BMC, scheduler, notifier) failed; `retryable` says
    │                           whether trying again may help, as Alertmanager's notifiers do
    └── NotConfigured      503  no backend is configured for this work (no BMC credentials for the site,
                                no scheduler for the cluster): the work waits, saying so, and is never
                                counted as a failure or marked done
"""

from __future__ import annotations

from typing import Any


class FleetopsError(Exception):
    """Root of every fleetops failure: a stable machine code plus a message naming record and field."""

    code = "fleetops_error"
    status = 500
    title = "Internal error"

    def __init__(self, message: str, *, retryable: bool = False, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.details = details


class InvalidInput(FleetopsError):
    code = "invalid_input"
    status = 422
    title = "Invalid input"


class InvalidTransition(InvalidInput):
    code = "invalid_transition"
    status = 409
    title = "Invalid state transition"


class NotFound(FleetopsError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(FleetopsError):
    code = "conflict"
    status = 409
    title = "Conflict"


class Unauthenticated(FleetopsError):
    code = "unauthenticated"
    status = 401
    title = "Unauthenticated"


class Forbidden(FleetopsError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


class ExternalError(FleetopsError):
    code = "external_error"
    status = 502
    title = "External system failed"


class NotConfigured(ExternalError):
    code = "not_configured"
    status = 503
    title = "Backend not configured"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, retryable=True, **details)
