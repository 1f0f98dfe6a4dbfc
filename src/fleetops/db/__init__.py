"""Storage: engine, sessions, the declarative base and the Alembic migrations."""

from fleetops.db.base import Base, TimestampMixin
from fleetops.db.session import Database, get_database, use_database

__all__ = ["Base", "Database", "TimestampMixin", "get_database", "use_database"]
