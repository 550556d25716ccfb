"""The relational database: engine and sessions, tables, migrations, repositories.

Tables are SQLAlchemy Core (``tables.metadata``), not ORM classes: repositories
translate rows to domain objects explicitly, and Alembic migrations inside this
package (``migrations/``) create the same schema on SQLite and PostgreSQL.
"""
