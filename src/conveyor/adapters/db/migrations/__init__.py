"""Alembic migrations, shipped inside the package so an installed wheel can migrate.

Run them through ``conveyor.adapters.db.schema`` (or ``conveyor init`` /
``conveyor db upgrade``); there is no alembic.ini. To add one, copy the newest
file in ``versions/``, bump ``revision``/``down_revision`` and write both
directions by hand with the constraint names from ``tables.NAMING_CONVENTION``.
"""
