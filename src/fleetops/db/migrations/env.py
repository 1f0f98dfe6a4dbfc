"""Alembic environment: runs against the engine handed over by fleetops.db.migrate."""

from alembic import context

import fleetops.models  # noqa: F401  (registers every table on Base.metadata)
from fleetops.db.base import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
