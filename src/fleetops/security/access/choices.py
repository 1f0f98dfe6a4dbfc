"""Access review enumerations: what a flag says is wrong, and where an access request stands."""

from __future__ import annotations

from fleetops.choices import Choice


class FlagKind(Choice):
    STANDING_PRODUCTION = "standing_production", "Standing production access for a non-ops role", "red"
    WILDCARD_ROOT = "wildcard_root", "Root on wildcard labels", "red"
    LONG_SESSION = "long_session", "Session longer than allowed", "orange"
    NO_MFA = "no_mfa", "Production access without MFA", "orange"
    UNKNOWN_USER = "unknown_user", "Production access for someone not in the directory", "red"


class RequestState(Choice):
    REQUESTED = "requested", "Requested", "yellow"
    GRANTED = "granted", "Granted (time-bound)", "green"
    DENIED = "denied", "Denied", "grey"
    EXPIRED = "expired", "Expired", "grey"
    REVOKED = "revoked", "Revoked", "grey"


class ReviewDecision(Choice):
    PENDING = "pending", "Pending", "yellow"
    DONE = "done", "Done", "green"
    KEEP = "keep", "Keep", "green"
    REVOKE = "revoke", "Revoke", "red"
