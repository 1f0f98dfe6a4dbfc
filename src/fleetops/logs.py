"""Structured logs: one JSON object per line, so the operator's log pipeline can index every field."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str = "INFO", as_json: bool = True) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if as_json else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic says "Context impl SQLiteImpl" each time a probe or a start-up check reads the schema version.
    logging.getLogger("alembic.runtime.migration").setLevel(max(root.level, logging.WARNING))
    # httpx logs every request's URL at INFO: a Slack webhook's URL is its secret, and 10,000 BMC polls a
    # minute would drown the log. Failures reach the log through the callers' own errors.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(root.level, logging.WARNING))
