"""Alembic's environment: runs migrations on the connection handed over by ``schema``.

There is no offline (SQL script) mode and no alembic.ini: ``schema.upgrade``
passes an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from conveyor.adapters.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through conveyor.adapters.db.schema (conveyor db upgrade)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
